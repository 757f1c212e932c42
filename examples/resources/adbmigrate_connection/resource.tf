# Source database. password_wo (Terraform >= 1.11) never reaches the plan or the state;
# bump password_wo_version to send a new password.
resource "adbmigrate_connection" "source" {
  name                = "orders-primary"
  database_type       = "mariadb"
  host                = "10.0.0.12"
  port                = 3306
  username            = "migrator"
  password_wo         = var.source_password
  password_wo_version = 1
}

# Destination database, with the password kept (sensitive) in state for older Terraform,
# reached over TLS with the server's certificate checked against the cluster's CA.
resource "adbmigrate_connection" "destination" {
  name          = "analytics"
  database_type = "adb_mysql3"
  host          = "am-example.ads.aliyuncs.com"
  port          = 3306
  username      = "loader"
  password      = var.destination_password
  region        = "cn-hangzhou"
  instance_id   = "am-example"

  tls {
    mode   = "verify_identity"
    ca_pem = var.destination_ca_pem
  }
}

variable "source_password" {
  type      = string
  sensitive = true
}

variable "destination_password" {
  type      = string
  sensitive = true
}

variable "destination_ca_pem" {
  type        = string
  description = "PEM bundle of the CA that signed the destination's certificate"
}
