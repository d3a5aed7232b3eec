package pushload

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DBStats is what a store's database file holds, read beside the server
// that writes it (SQLite's WAL lets a reader in).
type DBStats struct {
	PageSize, Pages, FreePages int64
	// Cells and CellBytes are the stored cells and the bytes of their
	// encoded data, by resolution (seconds: 60, 3600, 86400).
	Cells, CellBytes map[int64]int64
	Dims             int64
}

// Used is the bytes of the pages in use: the database's size once the
// WAL is checkpointed, less the free pages a later write takes first.
func (s DBStats) Used() int64 { return (s.Pages - s.FreePages) * s.PageSize }

// ReadDBStats reads the stats of the SQLite database at path, read-only.
func ReadDBStats(ctx context.Context, path string) (DBStats, error) {
	if _, err := os.Stat(path); err != nil {
		return DBStats{}, err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return DBStats{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return DBStats{}, err
	}
	defer conn.Close()
	// One read transaction: every number from the same snapshot.
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return DBStats{}, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	s := DBStats{Cells: map[int64]int64{}, CellBytes: map[int64]int64{}}
	for _, q := range []struct {
		sql string
		v   *int64
	}{
		{"PRAGMA page_size", &s.PageSize},
		{"PRAGMA page_count", &s.Pages},
		{"PRAGMA freelist_count", &s.FreePages},
		{"SELECT COUNT(*) FROM dims", &s.Dims},
	} {
		if err := conn.QueryRowContext(ctx, q.sql).Scan(q.v); err != nil {
			return DBStats{}, fmt.Errorf("%s: %w", q.sql, err)
		}
	}
	rows, err := conn.QueryContext(ctx, "SELECT res, COUNT(*), COALESCE(SUM(length(data)), 0) FROM cells GROUP BY res")
	if err != nil {
		return DBStats{}, fmt.Errorf("cells: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var res, n, b int64
		if err := rows.Scan(&res, &n, &b); err != nil {
			return DBStats{}, fmt.Errorf("cells: %w", err)
		}
		s.Cells[res], s.CellBytes[res] = n, b
	}
	return s, rows.Err()
}

// ProcCPU returns the CPU time (user + system, in clock ticks) a process
// used so far, from /proc/PID/stat (Linux).
func ProcCPU(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from the last ')'. utime and stime are fields 14 and 15.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q, stime %q", pid, f[11], f[12])
	}
	return u + st, nil
}
