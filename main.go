// Command terraform-provider-adbmigrate is the Terraform provider for adbmigrate: it serves
// the provider over the plugin protocol and talks to an adbmigrate-runner for everything else.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/provider"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	debug := flag.Bool("debug", false, "run the provider with support for debuggers such as delve")
	showVersion := flag.Bool("version", false, "print the provider's version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println("terraform-provider-adbmigrate", version)
		return
	}
	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/adbmigrate/adbmigrate",
		Debug:   *debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}
