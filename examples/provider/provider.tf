# The runner's endpoint and token may also come from ADBMIGRATE_ENDPOINT and ADBMIGRATE_TOKEN.
provider "adbmigrate" {
  endpoint = "http://127.0.0.1:8765"
  token    = var.runner_token
}

variable "runner_token" {
  type      = string
  sensitive = true
}
