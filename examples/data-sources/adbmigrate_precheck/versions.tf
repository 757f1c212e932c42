# Not shown in the docs: makes this directory a configuration that `terraform validate`
# checks (make test does, with the provider built from this tree).
terraform {
  required_providers {
    adbmigrate = {
      source = "adbmigrate/adbmigrate"
    }
  }
}
