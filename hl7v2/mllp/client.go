package mllp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Client sends frames over one connection and reads the reply to each.
// It is safe for concurrent use; sends are serialised, since MLLP has one
// outstanding message per connection.
type Client struct {
	mu   sync.Mutex
	conn net.Conn
	r    *Reader
	w    *Writer
}

// Dial connects to addr over TCP, or TLS when cfg is not nil. maxFrameSize
// caps replies (DefaultMaxFrameSize when <= 0).
func Dial(ctx context.Context, addr string, cfg *tls.Config, maxFrameSize int) (*Client, error) {
	var c net.Conn
	var err error
	if cfg != nil {
		d := tls.Dialer{Config: cfg}
		c, err = d.DialContext(ctx, "tcp", addr)
	} else {
		var d net.Dialer
		c, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("mllp: dial %s: %w", addr, err)
	}
	return NewClient(c, maxFrameSize), nil
}

// NewClient returns a client over an established connection, which it owns.
func NewClient(conn net.Conn, maxFrameSize int) *Client {
	return &Client{conn: conn, r: NewReader(conn, maxFrameSize), w: NewWriter(conn)}
}

// Send writes msg as one frame and returns the payload of the reply frame.
// ctx bounds the whole exchange: its deadline becomes the connection
// deadline, and cancelling it interrupts a blocked read or write. After an
// error the connection state is unknown; close the client.
func (c *Client) Send(ctx context.Context, msg []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dl, hasDL := ctx.Deadline()
	c.conn.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() {
		c.conn.SetDeadline(time.Unix(1, 0))
	})
	defer stop()
	reply, err := c.exchange(msg)
	if err != nil {
		cerr := ctx.Err()
		if cerr == nil && hasDL && !time.Now().Before(dl) {
			// the socket deadline fired a moment before the context's timer
			cerr = context.DeadlineExceeded
		}
		if cerr != nil {
			return nil, fmt.Errorf("mllp: send: %w", errors.Join(cerr, err))
		}
		return nil, fmt.Errorf("mllp: send: %w", err)
	}
	return reply, nil
}

func (c *Client) exchange(msg []byte) ([]byte, error) {
	if err := c.w.WriteFrame(msg); err != nil {
		return nil, err
	}
	return c.r.ReadFrame()
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }
