package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/server"
)

// clusterReport is issue 15's figures: audited calls per second through
// one, two and three nodes sharing one PostgreSQL database, beside one
// node on SQLite, and the time a singleton's lease takes to move when the
// node holding it is killed.
type clusterReport struct {
	Clients int `json:"clients"`
	// Audited is by configuration ("sqlite_1_node", "postgres_N_nodes"),
	// then workload; the clients are spread evenly over the nodes.
	Audited map[string]map[string]*loadResult `json:"audited"`
	// CPUPerCallMS is the CPU time per call of the nodes and of
	// PostgreSQL's processes, by configuration and workload: what bounds
	// the rate on a machine whose cores they share.
	CPUPerCallMS map[string]map[string]cpuShare `json:"cpu_ms_per_call"`
	// Scaling is each PostgreSQL configuration's rate over one
	// PostgreSQL node's, by workload.
	Scaling map[string]map[string]*float64 `json:"ratio_to_postgres_1_node"`
	// TakeoverMS is the time from kill -9 of the delivery lease's holder
	// to another node holding it.
	TakeoverMS *latency `json:"lease_takeover_ms"`
	Note       string   `json:"note"`
}

// clusterNote says what the figures can and cannot show on this machine.
const clusterNote = "every node, PostgreSQL and the clients share this machine's cores: " +
	"more nodes add no CPU, so the ratios show what the shared database costs, not how a cluster of machines scales"

// clusterNodes are the PostgreSQL configurations measured.
var clusterNodes = []int{1, 2, 3}

// takeovers is how often the delivery lease's holder is killed.
const takeovers = 5

// runCluster starts a PostgreSQL (DEPLOYTRAIL_BENCH_DATABASE_URL, else
// scripts/postgres.sh), one SQLite node and 1, 2 and 3 PostgreSQL nodes
// (a database each), then runs the read and write workloads against each
// configuration in turn and times lease takeovers on the three nodes.
func runCluster(ctx context.Context, e *env, s settings) (*clusterReport, error) {
	pg, stopPG, err := postgres(ctx, e)
	if err != nil {
		return nil, err
	}
	defer stopPG()
	rep := &clusterReport{Clients: s.Clients, Audited: map[string]map[string]*loadResult{},
		Scaling: map[string]map[string]*float64{}, CPUPerCallMS: map[string]map[string]cpuShare{}, Note: clusterNote}
	configs := map[string][]*node{}
	order := []string{"sqlite_1_node"}
	sqliteNode, err := e.startNode(ctx, "sqlite", "")
	if err != nil {
		return nil, err
	}
	configs["sqlite_1_node"] = []*node{sqliteNode}
	for _, n := range clusterNodes {
		name := fmt.Sprintf("postgres_%d_nodes", n)
		url, err := pg.database(ctx, fmt.Sprintf("bench_%d", n))
		if err != nil {
			return nil, err
		}
		nodes, err := e.startNodes(ctx, name, url, n)
		if err != nil {
			return nil, err
		}
		configs[name] = nodes
		order = append(order, name)
	}
	for _, w := range []string{wRead, wCreate} {
		for _, name := range order {
			if w == wRead {
				if err := prepareRead(ctx, configs[name][0].target); err != nil {
					return nil, err
				}
			}
			nodes0, pg0 := nodesCPU(configs[name]), postgresCPU()
			r := runLoad(ctx, s.Clients, s.Duration, spread(configs[name], w))
			if rep.Audited[name] == nil {
				rep.Audited[name] = map[string]*loadResult{}
				rep.CPUPerCallMS[name] = map[string]cpuShare{}
			}
			rep.Audited[name][w] = r
			if r.Requests > 0 {
				perCall := func(s float64) float64 { return round(s * 1000 / float64(r.Requests)) }
				rep.CPUPerCallMS[name][w] = cpuShare{Nodes: perCall(nodesCPU(configs[name]) - nodes0),
					Postgres: perCall(postgresCPU() - pg0)}
			}
			log.Printf("cluster %s %s: %.0f/s, p99 %.1f ms, %d errors", name, w, r.RPS, r.Latency.P99, r.Errors)
		}
	}
	one := rep.Audited["postgres_1_nodes"]
	for _, name := range order[1:] {
		rep.Scaling[name] = ratios(rep.Audited[name], one)
	}
	if rep.TakeoverMS, err = timeTakeovers(ctx, e, configs["postgres_3_nodes"]); err != nil {
		return rep, fmt.Errorf("lease takeover: %w", err)
	}
	return rep, nil
}

// cpuShare is CPU milliseconds per call.
type cpuShare struct {
	Nodes    float64 `json:"nodes"`
	Postgres float64 `json:"postgres"`
}

// nodesCPU is the CPU seconds the nodes have used.
func nodesCPU(nodes []*node) float64 {
	var sum float64
	for _, nd := range nodes {
		sum += nd.cpuSeconds()
	}
	return sum
}

// postgresCPU is the CPU seconds every running postgres process has used
// (the server and its backends; 0 on a remote server).
func postgresCPU() float64 {
	var sum float64
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if comm, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "comm")); strings.TrimSpace(string(comm)) == "postgres" {
			sum += processCPU(pid)
		}
	}
	return sum
}

// node is one deploytrail server of a configuration.
type node struct {
	*child
	target *target
	dir    string
	addr   string
	env    []string
}

// startNodes starts n nodes on the database url: the first alone (it
// creates the schema and the root account), then the others.
func (e *env) startNodes(ctx context.Context, name, url string, n int) ([]*node, error) {
	var nodes []*node
	for i := range n {
		nd, err := e.startNode(ctx, fmt.Sprintf("%s-%d", name, i), url)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, nd)
	}
	return nodes, nil
}

// startNode starts one server with data in a fresh directory, on the
// database url ("" for SQLite in that directory), and waits until ready.
func (e *env) startNode(ctx context.Context, name, url string) (*node, error) {
	dir, err := e.mkdir(name)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	nd := &node{dir: dir, addr: "127.0.0.1:" + strconv.Itoa(port)}
	if url != "" {
		nd.env = []string{"DEPLOYTRAIL_DATABASE_URL=" + url}
	}
	return nd, nd.start(ctx, e)
}

// start (re)starts the node's server on its address.
func (nd *node) start(ctx context.Context, e *env) error {
	cmd := exec.Command(e.binary, "serve", "--listen", nd.addr, "--data", nd.dir)
	cmd.Env = append(os.Environ(), deploytrailEnv(append([]string{"DEPLOYTRAIL_LEASE_TTL=2s"}, nd.env...))...)
	c, stdout, err := e.start(cmd, filepath.Join(nd.dir, "server.log"))
	if err != nil {
		return err
	}
	go io.Copy(io.Discard, stdout)
	if _, err := c.awaitHTTP(ctx, "http://"+nd.addr+server.HealthPath, time.Minute); err != nil {
		return fmt.Errorf("%s: %w", nd.dir, err)
	}
	nd.child = c
	nd.target = newTarget("http://"+nd.addr, benchKeyID, benchSecret, 32)
	return nil
}

// spread is workload w with request i sent to node i mod len(nodes).
func spread(nodes []*node, w string) op {
	ops := make([]op, len(nodes))
	for i, nd := range nodes {
		if w == wRead {
			ops[i] = readOp(nd.target)
		} else {
			ops[i] = createAppOp(nd.target)
		}
	}
	return func(ctx context.Context, i int) error { return ops[i%len(ops)](ctx, i) }
}

// timeTakeovers kills the delivery lease's holder takeovers times,
// timing each until another node reports holding it, and restarts the
// killed node before the next.
func timeTakeovers(ctx context.Context, e *env, nodes []*node) (*latency, error) {
	var times []time.Duration
	for range takeovers {
		holder, err := leaseHolder(ctx, nodes, "delivery", time.Minute)
		if err != nil {
			return nil, err
		}
		killed := time.Now()
		nodes[holder].cmd.Process.Kill()
		<-nodes[holder].done
		rest := append(append([]*node(nil), nodes[:holder]...), nodes[holder+1:]...)
		if _, err := leaseHolder(ctx, rest, "delivery", time.Minute); err != nil {
			return nil, err
		}
		times = append(times, time.Since(killed))
		log.Printf("cluster: delivery lease moved in %v", time.Since(killed).Round(time.Millisecond))
		if err := nodes[holder].start(ctx, e); err != nil {
			return nil, err
		}
	}
	l := summarize(times)
	return &l, nil
}

// leaseHolder polls the nodes' health documents until one says it holds
// the lease, and returns its index.
func leaseHolder(ctx context.Context, nodes []*node, lease string, limit time.Duration) (int, error) {
	hc := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		for i, nd := range nodes {
			if holds(hc, nd, lease) {
				return i, nil
			}
		}
	}
	return 0, fmt.Errorf("no node holds the %s lease after %v", lease, limit)
}

// holds reports whether the node's health document lists lease among the
// leases it holds.
func holds(hc *http.Client, nd *node, lease string) bool {
	resp, err := hc.Get("http://" + nd.addr + server.HealthPath)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var doc struct {
		Leases []string `json:"leases"`
	}
	if json.NewDecoder(resp.Body).Decode(&doc) != nil {
		return false
	}
	for _, l := range doc.Leases {
		if l == lease {
			return true
		}
	}
	return false
}

// pgServer is the PostgreSQL the cluster workload uses.
type pgServer struct{ url string }

// postgres returns DEPLOYTRAIL_BENCH_DATABASE_URL's server, else one
// started with scripts/postgres.sh in a temporary directory of its own.
func postgres(ctx context.Context, e *env) (*pgServer, func(), error) {
	if url := os.Getenv("DEPLOYTRAIL_BENCH_DATABASE_URL"); url != "" {
		return &pgServer{url: url}, func() {}, nil
	}
	script := filepath.Join(moduleRoot(), "scripts", "postgres.sh")
	// A directory of its own, not one inside the scratch directory: the
	// script runs postgres as another user, who must be able to enter
	// every parent (the scratch directory is 0700).
	dir, err := os.MkdirTemp("", "deploytrail-bench-pg-")
	if err != nil {
		return nil, nil, err
	}
	out, err := exec.CommandContext(ctx, "bash", script, "start", dir).Output()
	if err != nil {
		os.RemoveAll(dir)
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			err = fmt.Errorf("%w: %s", err, tail(string(exit.Stderr)))
		}
		return nil, nil, fmt.Errorf("scripts/postgres.sh start: %w", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if k == "DEPLOYTRAIL_TEST_DATABASE_URL" {
			stop := func() { exec.Command("bash", script, "stop", dir).Run(); os.RemoveAll(dir) }
			return &pgServer{url: shellUnquote(v)}, stop, nil
		}
	}
	exec.Command("bash", script, "stop", dir).Run()
	os.RemoveAll(dir)
	return nil, nil, errors.New("scripts/postgres.sh printed no DEPLOYTRAIL_TEST_DATABASE_URL")
}

// shellUnquote undoes the quoting of printf %q on a URL (the script prints
// a line for the shell's eval): quotes around it, a backslash before a
// character the shell would treat specially (the ? before sslmode).
func shellUnquote(v string) string {
	v = strings.Trim(v, `'"`)
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// database creates a fresh database on the server and returns its URL.
func (pg *pgServer) database(ctx context.Context, name string) (string, error) {
	drop := exec.CommandContext(ctx, "psql", "-q", "-v", "ON_ERROR_STOP=1", pg.url, "-c", "DROP DATABASE IF EXISTS "+name, "-c", "CREATE DATABASE "+name)
	if out, err := drop.CombinedOutput(); err != nil {
		return "", fmt.Errorf("create database %s: %v: %s", name, err, out)
	}
	return withDatabase(pg.url, name)
}

// withDatabase is url with its path naming the database name.
func withDatabase(url, name string) (string, error) {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return "", fmt.Errorf("database URL without a scheme")
	}
	hostPart, query, _ := strings.Cut(rest, "?")
	host, _, _ := strings.Cut(hostPart, "/")
	out := scheme + "://" + host + "/" + name
	if query != "" {
		out += "?" + query
	}
	return out, nil
}
