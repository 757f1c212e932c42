# A connection is imported by the id the runner gave it. Passwords are never read back:
# set password or password_wo (with password_wo_version) in the configuration.
terraform import adbmigrate_connection.source conn-0123456789abcdef
