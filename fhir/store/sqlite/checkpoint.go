package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Checkpoints run mostly beside the writer, not in it. In WAL mode SQLite
// copies the log back into the database file (a checkpoint, with its own
// fsync) inside the commit that pushes the log past wal_autocheckpoint
// pages: that commit, and every writer queued behind it, waits for the
// copy. A checkpointer with its own connection therefore runs a PASSIVE
// checkpoint after commits (at most one per checkpointPause, and after a
// quiet second), so that by the time the writer's own automatic
// checkpoint comes due (autoCheckpointPages) nearly every frame is copied
// already and it has little left to do. The writer's checkpoint is still
// needed: SQLite starts the log again from its beginning only when a
// write finds every frame copied, which a checkpointer racing a steady
// stream of commits never sees; without it the log file grows with every
// commit, and an fsync that must also record a new file size is slower
// (one-connection HL7 ACKs: 1,355-1,430 msg/s against 1,840-1,970 with
// the log bounded). PASSIVE never blocks the writer or the readers.
// Durability is unchanged: a commit is durable once its log frames are
// synced (synchronous FULL), whoever later copies them.

// checkpointPause is the least time between two checkpoints.
const checkpointPause = 100 * time.Millisecond

// autoCheckpointPages is the writer's wal_autocheckpoint: the log is
// copied (by then mostly by the checkpointer) and restarted at 16 MiB of
// 4 KiB pages.
const autoCheckpointPages = 4096

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
