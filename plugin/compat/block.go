package compat

import (
	"errors"
	"fmt"
	"sync"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/plugin/internal/confrules"
	"github.com/ferry-connect/ferry/plugin/internal/kafkaconn"
	"github.com/ferry-connect/ferry/plugin/output"
)

// BlockName is the top-level config field Redpanda Connect's redpanda
// components take their connection from.
const BlockName = "redpanda"

// connectionFields are the block's fields a component takes when it names
// no seed_brokers of its own.
var connectionFields = []string{"seed_brokers", "client_id", "tls", "sasl", "metadata_max_age", "metadata_min_age", "dial_timeout", "request_timeout_overhead", "conn_idle_timeout", "tcp", "target_version"}

// blockRules refuse what Ferry does not do with the block.
var blockRules = confrules.Set{Rules: []confrules.Rule{
	{When: `this.logs_topic.or("") != "" || this.status_topic.or("") != ""`, Message: `"fields redpanda.logs_topic and redpanda.status_topic: Ferry does not write its logs or status to topics; drop them (logs go to the logger)"`},
}}

// Block is the top-level redpanda block's field: the connection and
// producer settings Redpanda Connect's redpanda components share, as
// Redpanda Connect names them. A binary adds it to its main config schema
// (cmd/connect does, through service.CLIOptSetMainSchemaFrom) and hands the
// parsed block to SetBlock before the pipeline is built.
func Block() *service.ConfigField {
	fields := kafkaconn.FieldsWith(franzConn)
	fields = append(fields, output.ProducerFields(FranzOutput)...)
	fields = append(fields,
		service.NewStringField("pipeline_id").Description("An identifier of the pipeline; accepted, and not used: Ferry writes no logs or status to topics.").Default(""),
		service.NewStringField("logs_topic").Description("Not supported: a topic for the process's logs.").Default(""),
		service.NewStringEnumField("logs_level", "debug", "info", "warn", "error").Description("Not used without `logs_topic`.").Default("info"),
		service.NewStringField("status_topic").Description("Not supported: a topic for status updates.").Default(""),
		service.NewStringField("rack_id").Description("Accepted for old configs.").Default("").Deprecated(),
	)
	return service.NewObjectField(BlockName, fields...).
		Description("The connection shared by `redpanda` inputs and outputs that name no `seed_brokers`, and by `redpanda_common` components.").
		LintRule(blockRules.Lint()).
		Optional()
}

var block struct {
	sync.RWMutex
	conf map[string]any // nil when the config has no block
}

// SetBlock keeps the main config's redpanda block, if it has one, for the
// components built after it.
func SetBlock(main *service.ParsedConfig) error {
	if !main.Contains(BlockName) {
		return nil
	}
	ns := main.Namespace(BlockName)
	if err := blockRules.Check(ns); err != nil {
		return err
	}
	raw, err := ns.FieldAny()
	if err != nil {
		return err
	}
	m, _ := raw.(map[string]any)
	block.Lock()
	block.conf = m
	block.Unlock()
	return nil
}

// errNoBlock is the error of a component that names no brokers in a config
// with no redpanda block.
var errNoBlock = errors.New("field seed_brokers: at least one broker address is required (set it here, or in a top-level redpanda block)")

// withBlock gives a component config that names no seed_brokers the
// block's connection fields, and with all the block's fields when all is
// set (redpanda_common); the component's own fields win otherwise.
func withBlock(conf *service.ParsedConfig, all bool) (map[string]any, error) {
	raw, err := conf.FieldAny()
	if err != nil {
		return nil, err
	}
	c, _ := raw.(map[string]any)
	if namesBrokers(conf) && !all {
		return c, nil
	}
	block.RLock()
	b := block.conf
	block.RUnlock()
	if b == nil {
		return nil, errNoBlock
	}
	out := make(map[string]any, len(c)+len(b))
	for k, v := range c {
		out[k] = v
	}
	take := connectionFields
	if all {
		take = nil
		for k := range b {
			switch k {
			case "pipeline_id", "logs_topic", "logs_level", "status_topic", "rack_id":
			default:
				take = append(take, k)
			}
		}
	}
	for _, k := range take {
		if v, ok := b[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}

// namesBrokers reports whether the component config names seed_brokers.
func namesBrokers(conf *service.ParsedConfig) bool {
	if !conf.Contains("seed_brokers") {
		return false
	}
	list, _ := conf.FieldStringList("seed_brokers")
	return len(list) > 0
}

// reparsed is conf with the block's fields, parsed with spec.
func reparsed(spec *service.ConfigSpec, conf *service.ParsedConfig, all bool) (*service.ParsedConfig, error) {
	m, err := withBlock(conf, all)
	if err != nil {
		return nil, err
	}
	p, err := reparse(spec, m)
	if err != nil {
		return nil, fmt.Errorf("with the redpanda block: %w", err)
	}
	return p, nil
}
