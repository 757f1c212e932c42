package engine

import (
	"context"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/precheck"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/throttle"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/verify"
)

// This file is the engine's door for its callers (the runner): the names they need from
// the engine's sub-packages, so that they import internal/engine alone and the
// sub-packages stay free to change. Add a name here rather than importing a sub-package
// from outside the engine.

// Endpoint says how to reach one database server; it carries a password: never log it.
type Endpoint = dbconn.Endpoint

// DatabaseType is the kind of database an Endpoint reaches.
type DatabaseType = dbconn.DatabaseType

// TLS modes of an Endpoint.
const (
	TLSDisabled       = dbconn.TLSDisabled
	TLSPreferred      = dbconn.TLSPreferred
	TLSRequired       = dbconn.TLSRequired
	TLSVerifyIdentity = dbconn.TLSVerifyIdentity
)

// Facts is what a server says about itself when probed.
type Facts = dbconn.Facts

// Probe connects to the endpoint and reads its Facts; its error says why a connection
// failed in words a user can act on.
func Probe(ctx context.Context, ep Endpoint) (Facts, error) { return dbconn.Probe(ctx, ep) }

// Limits are the throttles of one migration phase (Task.FullLimits,
// Task.IncrementalLimits); their Set changes the rates of a running task.
type Limits = throttle.Limits

// NewLimits returns limits with the given rates (0 = unlimited); mbps is in MiB per second.
func NewLimits(sourceQPS, rps, mbps float64) *Limits { return throttle.NewLimits(sourceQPS, rps, mbps) }

// Mismatch is a row data verification found to differ, by source table and key.
type Mismatch = verify.Mismatch

// ETLSpec is a table's etl block: a CEL filter, computed columns and dropped columns.
type ETLSpec = etl.Spec

// PrecheckResult is the outcome of one precheck item: its name, state, message and remedy.
type PrecheckResult = precheck.Result

// FencedError is the error of a run whose runner no longer owns the task on the
// destination: a runner of the cluster with a later epoch has taken it over (Classify:
// KindFenced).
type FencedError = checkpoint.FencedError
