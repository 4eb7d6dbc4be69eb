package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"shop/internal/pgcluster"
	"shop/internal/testdb"
)

// The instrument of issue 21: CPU per iteration of PostgreSQL's processes,
// of the shop process and of the load generator, and what PostgreSQL did
// (pg_stat_statements, table and WAL counters), on a private cluster.

// privateSettings are the settings of ../shared/bench/WORKLOAD.md (every
// other one PostgreSQL's default: fsync, synchronous_commit and
// full_page_writes on), and pg_stat_statements.
var privateSettings = []string{"max_connections=200", "shared_buffers=512MB", "shared_preload_libraries=pg_stat_statements"}

// pgServer is the PostgreSQL server the bench runs on.
type pgServer struct {
	adminURL string
	admin    *sql.DB // its postgres database: pg_stat_statements, cluster-wide counters
	private  bool
	pm       int  // the postmaster's process id; 0 when it can't be read
	pgss     bool // pg_stat_statements is loaded
	stop     func()
}

// startPostgres starts the bench's private cluster, or with -pg shared uses
// the server of SHOP_TEST_POSTGRES_URL (others' load is then counted in
// its CPU).
func startPostgres(ctx context.Context, mode string) (*pgServer, error) {
	s := &pgServer{stop: func() {}}
	switch mode {
	case "private":
		c, err := pgcluster.Start(pgcluster.Options{Settings: privateSettings})
		if err != nil {
			return nil, err
		}
		s.adminURL, s.private, s.stop = c.URL("postgres"), true, c.Remove
		if s.pm, err = c.PostmasterPID(); err != nil {
			c.Remove()
			return nil, err
		}
	case "shared":
		s.adminURL = testdb.PostgresAdminURL()
	default:
		return nil, fmt.Errorf("-pg: want private or shared, got %q", mode)
	}
	admin, err := sql.Open("pgx", s.adminURL)
	if err != nil {
		s.stop()
		return nil, err
	}
	s.admin = admin
	stop := s.stop
	s.stop = func() { admin.Close(); stop() }
	if s.pm == 0 {
		// Every backend is the postmaster's child.
		var pid int
		if err := admin.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err == nil {
			if st, err := readStat(pid); err == nil {
				s.pm = st.ppid
			}
		}
	}
	// Our own cluster gets the extension; a shared server is only asked
	// whether it has it (loaded and created).
	if s.private {
		if _, err := admin.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
			s.stop()
			return nil, fmt.Errorf("pg_stat_statements: %w", err)
		}
	}
	var n int
	err = admin.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_statements`).Scan(&n)
	s.pgss = err == nil
	return s, nil
}

// describe is the header line naming the server.
func (s *pgServer) describe() string {
	if s.private {
		return fmt.Sprintf("PostgreSQL: private cluster started by loadbench (initdb; %s; every other setting the default: fsync, synchronous_commit, full_page_writes on), postmaster pid %d", strings.Join(privateSettings, " "), s.pm)
	}
	return fmt.Sprintf("PostgreSQL: the shared server of SHOP_TEST_POSTGRES_URL (-pg shared): its CPU includes whatever else runs on it; pg_stat_statements %v", s.pgss)
}

// procStat is the CPU of one process from /proc/PID/stat.
type procStat struct {
	ppid           int
	self, children time.Duration // utime+stime; cutime+cstime (its reaped children)
}

// readStat reads /proc/PID/stat (times in clock ticks of 10 ms).
func readStat(pid int) (procStat, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	// Fields after the command name (in parentheses) from field 3, state:
	// ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
	i := strings.LastIndexByte(string(raw), ')')
	if i < 0 || i+2 > len(raw) {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %q", pid, raw)
	}
	f := strings.Fields(string(raw[i+2:]))
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %q", pid, raw)
	}
	n := func(k int) int64 { v, _ := strconv.ParseInt(f[k], 10, 64); return v }
	tick := func(v int64) time.Duration { return time.Duration(v) * 10 * time.Millisecond }
	return procStat{ppid: int(n(1)), self: tick(n(11) + n(12)), children: tick(n(13) + n(14))}, nil
}

// pgCPU is the CPU time of the PostgreSQL server so far: the postmaster's
// own, its live children's (backends, autovacuum, checkpointer, WAL
// writer…) and its reaped children's (backends of closed connections).
func pgCPU(pm int) time.Duration {
	if pm == 0 {
		return 0
	}
	st, err := readStat(pm)
	if err != nil {
		return 0
	}
	total := st.self + st.children
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == pm {
			continue
		}
		if c, err := readStat(pid); err == nil && c.ppid == pm {
			total += c.self + c.children
		}
	}
	return total
}

// selfCPU is this process's CPU so far: the load generator of W1 and W2.
func selfCPU() time.Duration {
	st, _ := readStat(os.Getpid())
	return st.self
}

// cpuSample is the CPU so far of the three parties of a run.
type cpuSample struct{ pg, shop, gen time.Duration }

func (b *bench) sampleCPU() cpuSample {
	s := cpuSample{pg: pgCPU(b.pg.pm), gen: selfCPU()}
	if b.srv != nil && b.srv.cmd != nil {
		s.shop = b.srv.cpu()
	}
	return s
}

// cpuPerIter is CPU ms per iteration of each party between two samples.
type cpuPerIter struct{ pg, shop, gen float64 }

func perIter(from, to cpuSample, iters int) cpuPerIter {
	if iters == 0 {
		return cpuPerIter{}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(iters) }
	return cpuPerIter{pg: ms(to.pg - from.pg), shop: ms(to.shop - from.shop), gen: ms(to.gen - from.gen)}
}

// statement is one row of pg_stat_statements.
type statement struct {
	calls, rows int64
	execMS      float64
	walBytes    int64
	query       string
}

// resetStatements empties pg_stat_statements.
func (b *bench) resetStatements(ctx context.Context) {
	if b.pg.pgss {
		_, _ = b.pg.admin.ExecContext(ctx, `SELECT pg_stat_statements_reset()`)
	}
}

// statements reads pg_stat_statements of the bench database, by total
// execution time.
func (b *bench) statements(ctx context.Context) ([]statement, error) {
	if !b.pg.pgss {
		return nil, nil
	}
	rows, err := b.pg.admin.QueryContext(ctx, `
		SELECT s.calls, s.rows, s.total_exec_time, s.wal_bytes, s.query
		FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
		WHERE d.datname = $1
		ORDER BY s.total_exec_time DESC`, b.dbName())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []statement
	for rows.Next() {
		var s statement
		var wal float64
		if err := rows.Scan(&s.calls, &s.rows, &s.execMS, &wal, &s.query); err != nil {
			return nil, err
		}
		s.walBytes = int64(wal)
		out = append(out, s)
	}
	return out, rows.Err()
}

// dbName is the bench database's name.
func (b *bench) dbName() string {
	i := strings.LastIndexByte(b.url, '/')
	name, _, _ := strings.Cut(b.url[i+1:], "?")
	return name
}

// printStatements prints the top n statements of a run of iters iterations.
func printStatements(title string, st []statement, iters, n int) {
	if st == nil || iters == 0 {
		return
	}
	var execMS float64
	var calls, wal int64
	for _, s := range st {
		execMS += s.execMS
		calls += s.calls
		wal += s.walBytes
	}
	it := float64(iters)
	fmt.Printf("%s: pg_stat_statements, %d iterations; all statements: %.2f ms execution / iter, %.1f calls / iter, %.0f WAL bytes / iter\n\n",
		title, iters, execMS/it, float64(calls)/it, float64(wal)/it)
	fmt.Println("| # | exec ms / iter | % of exec | calls / iter | rows / call | µs / call | WAL B / iter | statement |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for i, s := range st[:min(n, len(st))] {
		q := strings.Join(strings.Fields(s.query), " ")
		if len(q) > 160 {
			q = q[:157] + "…"
		}
		q = strings.ReplaceAll(q, "|", `\|`)
		rpc := 0.0
		if s.calls > 0 {
			rpc = float64(s.rows) / float64(s.calls)
		}
		fmt.Printf("| %d | %.3f | %.0f | %.2f | %.2f | %.0f | %.0f | `%s` |\n", i+1, s.execMS/it, 100*s.execMS/max(execMS, 1e-9),
			float64(s.calls)/it, rpc, 1000*s.execMS/max(float64(s.calls), 1), float64(s.walBytes)/it, q)
	}
	fmt.Println()
}

// dbCounters are the bench database's table counters and the cluster's
// WAL counters.
type dbCounters struct {
	tables []tableCounters
	wal    walCounters
}

type tableCounters struct {
	name                   string
	ins, upd, hot, del     int64
	idxScan, seqScan, idxs int64
}

type walCounters struct{ records, fpi, bytes, syncs, writes int64 }

// resetCounters zeroes the bench database's table counters and the
// cluster's WAL counters, once the seed's have been reported (backends
// report at most once a second).
func (b *bench) resetCounters(ctx context.Context) {
	time.Sleep(1200 * time.Millisecond)
	_, _ = b.db.SQL.ExecContext(ctx, `SELECT pg_stat_reset()`)
	_, _ = b.db.SQL.ExecContext(ctx, `SELECT pg_stat_reset_shared('wal')`)
}

// counters reads them. Backends report their counters at most once a
// second (and when idle), so read them a little after the load stops.
func (b *bench) counters(ctx context.Context) (dbCounters, error) {
	var c dbCounters
	rows, err := b.db.SQL.QueryContext(ctx, `
		SELECT t.relname, t.n_tup_ins, t.n_tup_upd, t.n_tup_hot_upd, t.n_tup_del, coalesce(t.idx_scan, 0), t.seq_scan,
		       (SELECT count(*) FROM pg_index i WHERE i.indrelid = t.relid)
		FROM pg_stat_user_tables t
		WHERE t.n_tup_ins + t.n_tup_upd + t.n_tup_del > 0
		ORDER BY t.n_tup_ins + t.n_tup_upd + t.n_tup_del DESC`)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var t tableCounters
		if err := rows.Scan(&t.name, &t.ins, &t.upd, &t.hot, &t.del, &t.idxScan, &t.seqScan, &t.idxs); err != nil {
			return c, err
		}
		c.tables = append(c.tables, t)
	}
	if err := rows.Err(); err != nil {
		return c, err
	}
	err = b.db.SQL.QueryRowContext(ctx, `SELECT wal_records, wal_fpi, wal_bytes, wal_sync, wal_write FROM pg_stat_wal`).
		Scan(&c.wal.records, &c.wal.fpi, &c.wal.bytes, &c.wal.syncs, &c.wal.writes)
	return c, err
}

// printCounters prints them per iteration.
func printCounters(title string, c dbCounters, iters int) {
	if iters == 0 {
		return
	}
	it := float64(iters)
	fmt.Printf("%s: per iteration over %d, WAL %.0f records, %.0f bytes, %.2f full-page images, %.2f writes, %.2f syncs (pg_stat_wal)\n\n",
		title, iters, float64(c.wal.records)/it, float64(c.wal.bytes)/it, float64(c.wal.fpi)/it, float64(c.wal.writes)/it, float64(c.wal.syncs)/it)
	fmt.Println("| table | indexes | inserts / iter | updates / iter | of which HOT | deletes / iter | index scans / iter | seq scans / iter |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, t := range c.tables {
		hot := "–"
		if t.upd > 0 {
			hot = fmt.Sprintf("%.0f %%", 100*float64(t.hot)/float64(t.upd))
		}
		fmt.Printf("| %s | %d | %.2f | %.2f | %s | %.2f | %.2f | %.2f |\n", t.name, t.idxs, float64(t.ins)/it, float64(t.upd)/it, hot,
			float64(t.del)/it, float64(t.idxScan)/it, float64(t.seqScan)/it)
	}
	fmt.Println()
}

// detail is what PostgreSQL did in one captured run: its statements over
// the measurement window and its counters over the whole run.
type detail struct {
	title         string
	st            []statement
	stIters       int
	cnt           dbCounters
	cntIters      int
	cntErr, stErr error
}

// capture reads what PostgreSQL did over a run of iters iterations: its
// statements, then its table and WAL counters (after a pause: backends
// report their counters at most once a second).
func (b *bench) capture(ctx context.Context, iters int) *detail {
	d := &detail{stIters: iters, cntIters: iters}
	d.st, d.stErr = b.statements(ctx)
	time.Sleep(1200 * time.Millisecond)
	d.cnt, d.cntErr = b.counters(ctx)
	return d
}

func (d detail) print(top int) {
	if d.stErr != nil {
		fmt.Printf("%s: pg_stat_statements: %v\n\n", d.title, d.stErr)
	}
	printStatements(d.title, d.st, d.stIters, top)
	if d.cntErr != nil {
		fmt.Printf("%s: counters: %v\n\n", d.title, d.cntErr)
		return
	}
	printCounters(d.title, d.cnt, d.cntIters)
}
