package provider

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/etcdtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
)

// The provider's endpoints reach a runner cluster: the first endpoint is dead, so every
// request moves on to a live runner; the task runs on whichever runner owns it. With the
// runner that answered killed, the next plan still reads everything (from another runner)
// and is empty.
func TestAccProvider_clusterEndpoints(t *testing.T) {
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Fatal("terraform is not on PATH: acceptance tests need the terraform CLI (>= 1.11); install it and run again")
	}
	// The shared pair first, so that the runners are stopped before its cleanup empties it.
	src, dst := mariadbtest.SharedPair(t)
	etcd := etcdtest.Start(t, 3)
	rs := runnertest.StartCluster(t, etcd.Endpoints(), 2)
	e := &accEnv{src: src, dst: dst, runner: rs[0]}
	seedAccData(t, e)
	t.Setenv("ADBMIGRATE_TOKEN", rs[0].Token)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	config := fmt.Sprintf("provider \"adbmigrate\" {\n  endpoints = [%q, %q, %q]\n}\n", dead, rs[0].Endpoint, rs[1].Endpoint) + e.fullTaskHCL()
	task := "adbmigrate_migration_task.full"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(task, tfjsonpath.New("status"), knownvalue.StringExact("Completed")),
					statecheck.ExpectKnownValue(task, tfjsonpath.New("rows_migrated"), knownvalue.Int64Exact(1500+4200+300)),
				},
				Check: func(*terraform.State) error {
					return e.sameRows(t, "SELECT * FROM shop.orders ORDER BY id", "SELECT * FROM shop_copy.orders ORDER BY id")()
				},
			},
			{
				PreConfig: func() { rs[0].Kill(t) },
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
	if logs := rs[0].Logs() + rs[1].Logs(); !strings.Contains(logs, `"msg":"task claimed"`) {
		t.Error("no runner logged claiming the task")
	}
}
