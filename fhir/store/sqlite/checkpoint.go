package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Checkpoints run beside the writer, not in it. In WAL mode SQLite copies
// the log back into the database file (a checkpoint, with its own fsync)
// inside the commit that pushes the log past wal_autocheckpoint pages:
// that commit, and every writer queued behind it, waits for the copy. The
// writer connection's automatic checkpoint is therefore set high
// (autoCheckpointPages, a backstop only), and a checkpointer with its own
// connection runs a PASSIVE checkpoint after commits, at most one per
// checkpointPause, and after a quiet second. PASSIVE never
// blocks the writer or the readers; SQLite restarts the log from its start
// at the next write once every frame has been copied and no reader needs
// it. Durability is unchanged: a commit is durable once its log frames are
// synced (synchronous FULL), whoever later copies them.

// checkpointPause is the least time between two checkpoints.
const checkpointPause = time.Second

// autoCheckpointPages is the writer's wal_autocheckpoint: it checkpoints
// itself only if the checkpointer has fallen this far behind (64 MiB of
// 4 KiB pages).
const autoCheckpointPages = 16384

// checkpointer runs PASSIVE checkpoints on its own connection.
type checkpointer struct {
	db     *sql.DB
	kick   chan struct{}
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// startCheckpointer opens the checkpointer's connection to path (query
// string q: busy timeout and the like) and starts its loop.
func startCheckpointer(path string, q string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?"+q)
	if err != nil {
		return nil, fmt.Errorf("store: open %s checkpointer: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), cancel: cancel}
	c.done.Add(1)
	go c.loop(ctx)
	return c, nil
}

// committed tells the checkpointer that a write transaction committed.
func (c *checkpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop(ctx context.Context) {
	defer c.done.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		case <-time.After(time.Second):
		}
		var busy, logPages, copied int
		if err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logPages, &copied); err != nil && ctx.Err() == nil {
			slog.Warn("store: checkpoint", "err", err)
		}
		// Commits that come meanwhile are copied by the next run: at most
		// one run per checkpointPause, so small commits (an HL7 message
		// each) do not each cost a copy and an fsync of the file.
		select {
		case <-ctx.Done():
			return
		case <-time.After(checkpointPause):
		}
	}
}

// close stops the loop and closes the connection.
func (c *checkpointer) close() error {
	c.cancel()
	c.done.Wait()
	return c.db.Close()
}
