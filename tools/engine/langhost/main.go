// Command pulumi-language-nodejs is a small Node.js language host for the real Pulumi CLI, built by
// tools/engine/build.sh where the official host cannot be had (the Go module proxy serves the CLI and the SDK's
// Go packages, but not the official host's own module; see docs/real-engine.md).
//
// It does only what a language host does: the engine asks it to run the program, to start a policy pack or a
// component provider, and to list the program's provider packages. Everything that decides anything stays in the
// real code on either side: the CLI (config, plan, policy enforcement) and the Node.js SDK's own launchers
// (`@pulumi/pulumi/cmd/run`, `cmd/run-policy-pack`, `cmd/run-plugin`), which load TypeScript with ts-node and
// type-check it exactly as under the official host.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
)

// version is set by the build script to the version of the CLI it was built beside.
var version = "0.0.0-dev"

func main() {
	// The engine starts a language host as `pulumi-language-nodejs [-flags] ENGINE_ADDRESS`.
	var engineAddress string
	for _, arg := range os.Args[1:] {
		if !strings.HasPrefix(arg, "-") {
			engineAddress = arg
			break
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, &host{engineAddress: engineAddress})
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start its gRPC server: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: gRPC server stopped: %v\n", err)
		os.Exit(1)
	}
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (
	*pulumirpc.LanguageHandshakeResponse, error,
) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// GetRequiredPackages lists the provider packages installed beside the program: every node_modules package whose
// package.json says `"pulumi": {"resource": true}`, as the official host does.
func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (
	*pulumirpc.GetRequiredPackagesResponse, error,
) {
	dir := req.GetInfo().GetProgramDirectory()
	modules, err := findUp(dir, "node_modules")
	if err != nil {
		return nil, status.Errorf(codes.FailedPrecondition,
			"no node_modules above %s: run `npm ci` in the project first", dir)
	}
	packages, err := providerPackages(modules)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
	} `json:"pulumi"`
}

func providerPackages(modules string) ([]*pulumirpc.PackageDependency, error) {
	var candidates []string
	entries, err := os.ReadDir(modules)
	if err != nil {
		return nil, err
	}
	for _, entry := range entries {
		name := entry.Name()
		if strings.HasPrefix(name, "@") {
			scoped, err := os.ReadDir(filepath.Join(modules, name))
			if err != nil {
				return nil, err
			}
			for _, s := range scoped {
				candidates = append(candidates, filepath.Join(modules, name, s.Name(), "package.json"))
			}
		} else if !strings.HasPrefix(name, ".") {
			candidates = append(candidates, filepath.Join(modules, name, "package.json"))
		}
	}
	seen := map[string]bool{}
	var packages []*pulumirpc.PackageDependency
	for _, file := range candidates {
		raw, err := os.ReadFile(file)
		if err != nil {
			continue // a folder without package.json is not a package
		}
		var pkg packageJSON
		if err := json.Unmarshal(raw, &pkg); err != nil {
			return nil, fmt.Errorf("%s is not valid JSON: %w", file, err)
		}
		if !pkg.Pulumi.Resource {
			continue
		}
		name := pkg.Pulumi.Name
		if name == "" {
			name = strings.TrimPrefix(strings.TrimPrefix(pkg.Name, "@pulumi/"), "@")
		}
		v := pkg.Pulumi.Version
		if v == "" {
			v = pkg.Version
		}
		if !strings.HasPrefix(v, "v") {
			v = "v" + v
		}
		if seen[name+v] {
			continue
		}
		seen[name+v] = true
		packages = append(packages, &pulumirpc.PackageDependency{Name: name, Kind: "resource", Version: v})
	}
	return packages, nil
}

// Run runs the stack program through the SDK's own launcher, `@pulumi/pulumi/cmd/run`.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir := info.GetProgramDirectory()
	if programDir == "" {
		programDir = req.GetPwd()
	}
	launcher, err := sdkCommand(programDir, "run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	args := []string{launcher}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, "--"+flag, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("root-directory", info.GetRootDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetParallel() > 0 {
		add("parallel", strconv.Itoa(int(req.GetParallel())))
	}
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	env = append(env, runtimeOptionEnv(info.GetOptions().AsMap())...)

	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			// 32 is the SDK's "the program already reported its error to the user" code: nothing to add.
			if exit.ExitCode() == 32 {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d",
				exit.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not start node: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// runtimeOptionEnv maps the project's `runtime.options` to the variables the SDK's launcher reads.
func runtimeOptionEnv(options map[string]any) []string {
	var env []string
	if ts, ok := options["typescript"].(bool); !ok || ts {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if tsconfig, ok := options["tsconfig"].(string); ok && tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}
	if nodeargs, ok := options["nodeargs"].(string); ok && nodeargs != "" {
		env = append(env, "NODE_OPTIONS="+strings.TrimSpace(os.Getenv("NODE_OPTIONS")+" "+nodeargs))
	}
	return env
}

// RunPlugin starts a policy pack (kind "analyzer") or a component provider (kind "resource") written in Node.js
// through the SDK's own launchers, streaming its output back to the engine.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	info := req.GetInfo()
	programDir := info.GetProgramDirectory()
	if programDir == "" {
		programDir = req.GetProgram()
	}
	launcherName := "run-plugin"
	if req.GetKind() == "analyzer" {
		launcherName = "run-policy-pack"
	}
	launcher, err := sdkCommand(programDir, launcherName)
	if err != nil {
		return err
	}
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args := []string{launcher}
	if req.GetKind() == "analyzer" {
		// run-policy-pack takes the engine address first, then the program.
		args = append(args, req.GetArgs()...)
		args = append(args, filepath.Join(programDir, entry))
	} else {
		args = append(args, filepath.Join(programDir, entry))
		args = append(args, req.GetArgs()...)
	}
	cmd := exec.CommandContext(server.Context(), "node", args...)
	cmd.Dir = programDir
	cmd.Env = append(os.Environ(), req.GetEnv()...)
	cmd.Env = append(cmd.Env, runtimeOptionEnv(info.GetOptions().AsMap())...)

	var mu sync.Mutex
	send := func(resp *pulumirpc.RunPluginResponse) error {
		mu.Lock()
		defer mu.Unlock()
		return server.Send(resp)
	}
	cmd.Stdout = streamWriter(func(b []byte) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}})
	})
	cmd.Stderr = streamWriter(func(b []byte) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}})
	})
	code := int32(0)
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return fmt.Errorf("could not start node for %s: %w", programDir, err)
		}
		code = int32(exit.ExitCode())
	}
	return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

// InstallDependencies has nothing to do: the project installs its packages with `npm ci` before any engine run.
func (h *host) InstallDependencies(*pulumirpc.InstallDependenciesRequest,
	pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	return nil
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("node is not on PATH: %w", err)
	}
	return &pulumirpc.AboutResponse{Executable: "node", Version: strings.TrimSpace(string(out))}, nil
}

type streamWriter func([]byte) error

func (w streamWriter) Write(p []byte) (int, error) {
	if err := w(bytes.Clone(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// sdkCommand finds one of the SDK's launchers in the nearest node_modules above dir.
func sdkCommand(dir, name string) (string, error) {
	modules, err := findUp(dir, "node_modules")
	if err != nil {
		return "", fmt.Errorf("no node_modules above %s: run `npm ci` in the project first", dir)
	}
	for current := modules; ; {
		launcher := filepath.Join(current, "@pulumi", "pulumi", "cmd", name)
		if _, err := os.Stat(launcher); err == nil {
			return launcher, nil
		}
		parent, err := findUp(filepath.Dir(filepath.Dir(current)), "node_modules")
		if err != nil || parent == current {
			return "", fmt.Errorf("@pulumi/pulumi is not installed above %s: run `npm ci` in the project first", dir)
		}
		current = parent
	}
}

// findUp returns dir/name or the nearest ancestor's name folder.
func findUp(dir, name string) (string, error) {
	for current := filepath.Clean(dir); ; {
		candidate := filepath.Join(current, name)
		if st, err := os.Stat(candidate); err == nil && st.IsDir() {
			return candidate, nil
		}
		parent := filepath.Dir(current)
		if parent == current {
			return "", io.EOF
		}
		current = parent
	}
}
