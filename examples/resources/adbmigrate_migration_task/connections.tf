# Not shown in the docs: the connections resource.tf refers to.
resource "adbmigrate_connection" "source" {
  name                = "orders-primary"
  database_type       = "mysql"
  host                = "10.0.0.12"
  username            = "migrator"
  password_wo         = var.source_password
  password_wo_version = 1
}

resource "adbmigrate_connection" "destination" {
  name                = "analytics"
  database_type       = "adb_mysql3"
  host                = "am-example.ads.aliyuncs.com"
  username            = "loader"
  password_wo         = var.destination_password
  password_wo_version = 1
}

variable "source_password" {
  type      = string
  sensitive = true
}

variable "destination_password" {
  type      = string
  sensitive = true
}
