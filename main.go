// Command terraform-provider-adbmigrate is the Terraform provider for adbmigrate: it serves
// the provider over the plugin protocol and talks to an adbmigrate-runner for everything else.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	tfaddr "github.com/hashicorp/terraform-registry-address"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/provider"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// source is the provider's source address, as configurations write it.
const source = "adbmigrate/adbmigrate"

func main() {
	debug := flag.Bool("debug", false, "run the provider with support for debuggers such as delve")
	showVersion := flag.Bool("version", false, "print the provider's version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println("terraform-provider-adbmigrate", version)
		return
	}
	// The provider's full address: its source on the default registry host.
	addr, err := tfaddr.ParseProviderSource(source)
	if err != nil {
		log.Fatal(err)
	}
	err = providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: addr.String(),
		Debug:   *debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}
