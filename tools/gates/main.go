// Command gates judges Argo Rollouts metric results the way the Argo Rollouts controller does, so the project's
// tests check the rendered successCondition and failureCondition with Argo's own expression library and rules
// instead of a re-implementation.
//
// Argo Rollouts v1.9.0 (utils/evaluate/evaluate.go) compiles each condition with github.com/antonmedv/expr
// v1.15.5 in an environment of result, asInt, asFloat, isNaN, isInf, isNil and default, and turns the two
// conditions into a phase: neither set: Successful; only a successCondition: Failed when it is false; only a
// failureCondition: Successful when it is false; failureCondition true: Failed; neither true: Inconclusive; a
// condition that does not compile, fails to run or is not a boolean: Error. The Prometheus provider passes a
// vector's values as []float64 (metricproviders/prometheus/prometheus.go).
//
// Input (stdin): a JSON array of {"successCondition", "failureCondition", "result"}, where result is a list of
// numbers or of the strings "NaN", "+Inf", "-Inf" (JSON has no NaN). Output (stdout): a JSON array of
// {"phase", "error"} in the same order.
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"

	"github.com/antonmedv/expr"
)

type testCase struct {
	SuccessCondition string            `json:"successCondition"`
	FailureCondition string            `json:"failureCondition"`
	Result           []json.RawMessage `json:"result"`
}

type verdict struct {
	Phase string `json:"phase"`
	Error string `json:"error,omitempty"`
}

func number(raw json.RawMessage) (float64, error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err == nil {
		return f, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, fmt.Errorf("result values are numbers or \"NaN\", \"+Inf\", \"-Inf\", got %s", raw)
	}
	return strconv.ParseFloat(s, 64)
}

// The environment of Argo's EvalCondition for a []float64 result (isNil and default see a non-nil slice).
func evalCondition(result []float64, condition string) (bool, error) {
	env := map[string]any{
		"result":  result,
		"asInt":   func(in any) int64 { return int64(in.(float64)) },
		"asFloat": func(in any) float64 { return in.(float64) },
		"isNaN":   math.IsNaN,
		"isInf":   func(f float64) bool { return math.IsInf(f, 0) },
		"isNil":   func(_ any) bool { return false },
		"default": func(_ any, _ any) any { return result },
	}
	program, err := expr.Compile(condition, expr.Env(env))
	if err != nil {
		return false, err
	}
	output, err := expr.Run(program, env)
	if err != nil {
		return false, err
	}
	b, ok := output.(bool)
	if !ok {
		return false, fmt.Errorf("expected bool, but got %T", output)
	}
	return b, nil
}

// evaluateResult follows Argo's EvaluateResult case by case.
func evaluateResult(result []float64, success, failure string) verdict {
	successCondition, failCondition := false, false
	var err error
	if success != "" {
		if successCondition, err = evalCondition(result, success); err != nil {
			return verdict{Phase: "Error", Error: err.Error()}
		}
	}
	if failure != "" {
		if failCondition, err = evalCondition(result, failure); err != nil {
			return verdict{Phase: "Error", Error: err.Error()}
		}
	}
	switch {
	case success == "" && failure == "":
		return verdict{Phase: "Successful"}
	case success != "" && failure == "":
		failCondition = !successCondition
	case success == "" && failure != "":
		successCondition = !failCondition
	}
	if failCondition {
		return verdict{Phase: "Failed"}
	}
	if !successCondition {
		return verdict{Phase: "Inconclusive"}
	}
	return verdict{Phase: "Successful"}
}

func main() {
	var cases []testCase
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		fmt.Fprintln(os.Stderr, "gates: stdin must be a JSON array of {successCondition, failureCondition, result}:", err)
		os.Exit(2)
	}
	out := make([]verdict, 0, len(cases))
	for i, c := range cases {
		result := make([]float64, 0, len(c.Result))
		for _, raw := range c.Result {
			f, err := number(raw)
			if err != nil {
				fmt.Fprintf(os.Stderr, "gates: case %d: %v\n", i, err)
				os.Exit(2)
			}
			result = append(result, f)
		}
		out = append(out, evaluateResult(result, c.SuccessCondition, c.FailureCondition))
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "gates:", err)
		os.Exit(1)
	}
}
