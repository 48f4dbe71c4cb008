// Package mapping turns incoming payloads into metric updates with the
// admins' rules. It is the only importer of expr-lang: Compile type-checks a
// rule set against the Env rules see (a typo is a save error, with line and
// column), Eval runs it deterministically (no now(), bounded size and memory),
// and a Cache keeps compiled programs by rule-set version.
package mapping
