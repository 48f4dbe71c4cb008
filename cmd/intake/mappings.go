package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/mapping"
	"gopkg.in/yaml.v3"
)

// rulesFile is a rule set as admins keep it in git.
type rulesFile struct {
	Source string     `yaml:"source"`
	Rules  []yamlRule `yaml:"rules"`
}

// yamlRule is a rule, or a {sourceField, metricId} field mapping.
type yamlRule struct {
	Name        string `yaml:"name"`
	When        string `yaml:"when"`
	Metric      string `yaml:"metric"`
	Value       string `yaml:"value"`
	Timestamp   string `yaml:"timestamp"`
	Op          string `yaml:"op"`
	Enabled     *bool  `yaml:"enabled"`
	SourceField string `yaml:"sourceField"`
	MetricID    string `yaml:"metricId"`
}

func (y yamlRule) rule(i int) intake.Rule {
	id := fmt.Sprintf("r%d", i+1)
	if y.SourceField != "" {
		r := mapping.FieldMapping(id, y.SourceField, y.MetricID)
		r.Op = y.Op
		return r
	}
	r := intake.Rule{ID: id, Name: y.Name, When: y.When, Metric: y.Metric, Value: y.Value, Timestamp: y.Timestamp, Op: y.Op, Enabled: true}
	if y.Enabled != nil {
		r.Enabled = *y.Enabled
	}
	return r
}

// runMappingsTest compiles a rules file and runs it on a sample payload,
// offline: what `POST /api/admin/mappings/test` does, for rules kept in git.
// Compile errors print like a compiler's and exit non-zero.
func runMappingsTest(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("intake admin mappings test", flag.ContinueOnError)
	file := fs.String("file", "", "rules file (YAML)")
	sample := fs.String("payload", "", "sample payload (JSON object)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" || *sample == "" {
		return errors.New("usage: intake admin mappings test --file rules.yaml --payload sample.json")
	}
	raw, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	var rf rulesFile
	if err := yaml.Unmarshal(raw, &rf); err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	rules := make([]intake.Rule, len(rf.Rules))
	for i, y := range rf.Rules {
		rules[i] = y.rule(i)
	}
	prog, err := mapping.Compile(rules, 0)
	var errs mapping.CompileErrors
	if errors.As(err, &errs) {
		for _, e := range errs {
			fmt.Fprintf(stdout, "%s: rule %q, %s:%d:%d: %s%s\n", *file, e.Rule, e.Field, e.Line, e.Column, e.Message, e.Snippet)
		}
		return fmt.Errorf("%d error(s) in %s", len(errs), *file)
	}
	if err != nil {
		return err
	}
	body, err := os.ReadFile(*sample)
	if err != nil {
		return err
	}
	var payload map[string]any
	if err := json.Unmarshal(body, &payload); err != nil {
		return fmt.Errorf("%s: not a JSON object: %w", *sample, err)
	}
	source := rf.Source
	if source == "" {
		source, _ = payload["source"].(string)
	}
	dataType, _ := payload["data_type"].(string)
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{
		"results": prog.Eval(mapping.DataEnv(payload, source, dataType, "test", time.Now())),
	})
}
