package sqlite

import "testing"

func TestPositional(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT a FROM t WHERE b = $1 AND c = $2", "SELECT a FROM t WHERE b = ? AND c = ?"},
		{"INSERT INTO t VALUES ($1,$2),($3,$4)", "INSERT INTO t VALUES (?,?),(?,?)"},
		{"SELECT $10", "SELECT $10"},                                                // does not start at 1
		{"SELECT $1, $1", "SELECT $1, $1"},                                          // used twice
		{"SELECT $2, $1", "SELECT $2, $1"},                                          // out of order
		{"SELECT '$1', $1", "SELECT '$1', ?"},                                       // quoted text is not a parameter
		{"SELECT 'it''s $2', $1", "SELECT 'it''s $2', ?"},                           // doubled quote
		{`SELECT "col$1" FROM t WHERE x = $1`, `SELECT "col$1" FROM t WHERE x = ?`}, // quoted identifier
		{"SELECT json_extract(j, '$.a') WHERE $1", "SELECT json_extract(j, '$.a') WHERE ?"},
		{"SELECT 'open", "SELECT 'open"},
		{"SELECT $ FROM t", "SELECT $ FROM t"},
	} {
		if got := positional(c.in); got != c.want {
			t.Errorf("positional(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
