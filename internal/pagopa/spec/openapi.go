package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// CheckJSON checks doc against a schema of an OpenAPI file of the set
// ("openapi/fdr_organization.json", "Payment"): types, required
// properties, enumerations, string patterns and lengths, numeric bounds,
// arrays and references, the part of JSON Schema these files use. It
// returns every departure, for tests of the JSON the project reads and
// the simulator writes.
func CheckJSON(file, schema string, doc []byte) error {
	b, err := Files.ReadFile(file)
	if err != nil {
		return err
	}
	var api struct {
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &api); err != nil {
		return fmt.Errorf("spec: %s: %w", file, err)
	}
	s, ok := api.Components.Schemas[schema]
	if !ok {
		return fmt.Errorf("spec: %s has no schema %s", file, schema)
	}
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return fmt.Errorf("spec: %w", err)
	}
	c := &jsonChecker{schemas: api.Components.Schemas}
	c.check(s, v, "$")
	if len(c.errs) > 0 {
		return fmt.Errorf("spec: %s does not match %s:\n  %s", schema, file, strings.Join(c.errs, "\n  "))
	}
	return nil
}

type jsonChecker struct {
	schemas map[string]any
	errs    []string
}

func (c *jsonChecker) fail(path, format string, args ...any) {
	c.errs = append(c.errs, path+": "+fmt.Sprintf(format, args...))
}

func (c *jsonChecker) check(schema any, v any, path string) {
	s, _ := schema.(map[string]any)
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		c.check(c.schemas[name], v, path)
		return
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == fmt.Sprint(v) {
				found = true
			}
		}
		if !found {
			c.fail(path, "%v is not one of %v", v, enum)
		}
	}
	switch s["type"] {
	case "object":
		o, ok := v.(map[string]any)
		if !ok {
			c.fail(path, "want an object")
			return
		}
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, ok := o[r.(string)]; !ok {
					c.fail(path, "missing required %s", r)
				}
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, pv := range o {
			if ps, ok := props[k]; ok {
				c.check(ps, pv, path+"."+k)
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			c.fail(path, "want an array")
			return
		}
		for i, it := range a {
			c.check(s["items"], it, fmt.Sprintf("%s[%d]", path, i))
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			c.fail(path, "want a string")
			return
		}
		if p, ok := s["pattern"].(string); ok {
			if re, err := regexp.Compile(p); err == nil && !re.MatchString(str) {
				c.fail(path, "%q does not match %s", str, p)
			}
		}
		n := len([]rune(str))
		if m, ok := s["minLength"].(float64); ok && float64(n) < m {
			c.fail(path, "%q shorter than %v", str, m)
		}
		if m, ok := s["maxLength"].(float64); ok && float64(n) > m {
			c.fail(path, "%q longer than %v", str, m)
		}
		if s["format"] == "date-time" && !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`).MatchString(str) {
			c.fail(path, "%q is not a date-time", str)
		}
		if s["format"] == "date" && !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`).MatchString(str) {
			c.fail(path, "%q is not a date", str)
		}
	case "integer", "number":
		n, ok := v.(json.Number)
		if !ok {
			c.fail(path, "want a number")
			return
		}
		f, err := n.Float64()
		if err != nil || s["type"] == "integer" && strings.ContainsAny(string(n), ".eE") {
			c.fail(path, "%s is not an %s", n, s["type"])
			return
		}
		if m, ok := s["minimum"].(float64); ok && f < m {
			c.fail(path, "%s below %v", n, m)
		}
		if m, ok := s["maximum"].(float64); ok && f > m {
			c.fail(path, "%s above %v", n, m)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			c.fail(path, "want a boolean")
		}
	}
}
