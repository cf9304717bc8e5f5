package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared statements for the texts a pool runs again and
// again beyond the write path's HotStatements: a search shape (the
// conditional creates of an HL7 run, the matches of a transaction Bundle),
// a multi-row inbox INSERT of a given size. SQLite would otherwise parse
// the text anew on every call (15 % of an HL7 mapping run's CPU).
//
// A text is prepared the second time it is seen, off the caller's path by
// one background goroutine: on the writer, whose only connection a running
// transaction holds, the preparation waits until the connection is free
// again. At most max statements are kept; texts beyond that run unprepared.
type stmtCache struct {
	db  *sql.DB
	max int

	mu      sync.Mutex
	m       map[string]*sql.Stmt // engine text → statement
	seen    map[string]bool      // texts seen once
	pending []string
	running bool
	closed  bool
	wg      sync.WaitGroup
}

func newStmtCache(db *sql.DB, max int) *stmtCache {
	return &stmtCache{db: db, max: max, m: map[string]*sql.Stmt{}, seen: map[string]bool{}}
}

// get returns the prepared statement of text, or nil; a text seen for the
// second time is queued for preparation.
func (c *stmtCache) get(text string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.m[text]; st != nil {
		return st
	}
	if c.closed || len(c.m)+len(c.pending) >= c.max {
		return nil
	}
	if !c.seen[text] {
		if len(c.seen) >= 4*c.max {
			clear(c.seen) // forget one-off texts now and then
		}
		c.seen[text] = true
		return nil
	}
	delete(c.seen, text)
	c.pending = append(c.pending, text)
	if !c.running {
		c.running = true
		c.wg.Add(1)
		go c.prepareQueued()
	}
	return nil
}

// prepareQueued prepares the queued texts one by one.
func (c *stmtCache) prepareQueued() {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		if len(c.pending) == 0 || c.closed {
			c.pending, c.running = nil, false
			c.mu.Unlock()
			return
		}
		text := c.pending[0]
		c.pending = c.pending[1:]
		c.mu.Unlock()
		st, err := c.db.PrepareContext(context.Background(), orFail(positional(text)))
		if err != nil {
			continue // it runs unprepared, as before
		}
		c.mu.Lock()
		if c.closed || c.m[text] != nil {
			st.Close()
		} else {
			c.m[text] = st
		}
		c.mu.Unlock()
	}
}

// preload prepares texts now (Open, while the pool is idle).
func (c *stmtCache) preload(ctx context.Context, texts []string) error {
	for _, text := range texts {
		st, err := c.db.PrepareContext(ctx, orFail(positional(text)))
		if err != nil {
			return err
		}
		c.mu.Lock()
		c.m[text] = st
		c.mu.Unlock()
	}
	return nil
}

// close stops the preparation and closes the statements; the pool must
// have no transaction running (DB.Close's contract).
func (c *stmtCache) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	clear(c.m)
}
