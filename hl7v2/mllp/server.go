package mllp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Meta describes where a message came from.
type Meta struct {
	RemoteAddr net.Addr
	LocalAddr  net.Addr
	// TLS is the connection state on a TLS listener, nil otherwise.
	TLS *tls.ConnectionState
	// Received is when the frame was completely read.
	Received time.Time
	// Seq counts the frames read on this connection, from 1.
	Seq int
}

// Handler handles one received message. It returns the payload to send back
// (an encoded ACK) or an error.
//
// The server writes the returned payload only after Handle returns, so a
// handler that stores the message before returning gets store-before-ACK.
// A nil payload with a nil error sends nothing. A non-nil error sends
// nothing and closes the connection, so the sender, having no ACK, resends
// later: return an error when the message could not be made durable. To
// reject a message, return an AE/AR ACK instead.
//
// msg is owned by the handler. ctx is cancelled when the server is closed
// or its Shutdown deadline expires.
type Handler interface {
	Handle(ctx context.Context, msg []byte, meta Meta) ([]byte, error)
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, msg []byte, meta Meta) ([]byte, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, msg []byte, meta Meta) ([]byte, error) {
	return f(ctx, msg, meta)
}

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("mllp: server closed")

// Server accepts MLLP connections and passes each frame to Handler, one
// frame at a time per connection, any number of connections at once.
// Set the fields before calling Serve; do not change them afterwards.
type Server struct {
	// Handler is called for every frame. Required.
	Handler Handler
	// TLSConfig, when set, makes Serve wrap accepted connections in TLS.
	TLSConfig *tls.Config
	// MaxFrameSize caps a frame's payload (DefaultMaxFrameSize when 0).
	MaxFrameSize int
	// IdleTimeout closes a connection that starts no frame for this long
	// (0: never).
	IdleTimeout time.Duration
	// ReadTimeout bounds reading one frame once its first byte arrived
	// (0: no limit).
	ReadTimeout time.Duration
	// WriteTimeout bounds writing one reply (0: no limit).
	WriteTimeout time.Duration
	// ErrorFunc, when set, is told about connection-level errors (framing,
	// timeouts, handler errors) before the connection closes. The library
	// never logs; this is the hook for the caller's logger.
	ErrorFunc func(meta Meta, err error)

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*serverConn]struct{}
	closing   bool
	cancel    context.CancelFunc // cancels the handlers' base context
	baseCtx   context.Context
	wg        sync.WaitGroup // connection goroutines
}

type serverConn struct {
	c    net.Conn
	idle bool // waiting for the first byte of a frame
}

func (s *Server) init() {
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
		s.conns = map[*serverConn]struct{}{}
		s.baseCtx, s.cancel = context.WithCancel(context.Background())
	}
}

// ListenAndServe listens on the TCP address addr and calls Serve.
func (s *Server) ListenAndServe(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("mllp: listen %s: %w", addr, err)
	}
	return s.Serve(l)
}

// Serve accepts connections on l until Shutdown or Close, then returns
// ErrServerClosed; it closes l. Any other accept error is returned as is.
func (s *Server) Serve(l net.Listener) error {
	if s.Handler == nil {
		return errors.New("mllp: Server.Handler is nil")
	}
	s.mu.Lock()
	s.init()
	if s.closing {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()
	var delay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if s.isClosing() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// back off like net/http on temporary errors
				if delay == 0 {
					delay = 5 * time.Millisecond
				} else if delay *= 2; delay > time.Second {
					delay = time.Second
				}
				time.Sleep(delay)
				continue
			}
			return fmt.Errorf("mllp: accept: %w", err)
		}
		delay = 0
		if s.TLSConfig != nil {
			c = tls.Server(c, s.TLSConfig)
		}
		sc := &serverConn{c: c, idle: true}
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			c.Close()
			return ErrServerClosed
		}
		s.conns[sc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(sc)
	}
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// setIdle records the connection state; it returns false when the server
// is shutting down and an idle connection should stop.
func (s *Server) setIdle(sc *serverConn, idle bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc.idle = idle
	return !s.closing
}

func (s *Server) serveConn(sc *serverConn) {
	defer s.wg.Done()
	defer func() {
		sc.c.Close()
		s.mu.Lock()
		delete(s.conns, sc)
		s.mu.Unlock()
	}()
	meta := Meta{RemoteAddr: sc.c.RemoteAddr(), LocalAddr: sc.c.LocalAddr()}
	report := func(err error) {
		if s.ErrorFunc != nil && err != nil {
			s.ErrorFunc(meta, err)
		}
	}
	if tc, ok := sc.c.(*tls.Conn); ok {
		if s.ReadTimeout > 0 {
			sc.c.SetDeadline(time.Now().Add(s.ReadTimeout))
		}
		if err := tc.HandshakeContext(s.baseCtx); err != nil {
			report(fmt.Errorf("mllp: tls handshake: %w", err))
			return
		}
		st := tc.ConnectionState()
		meta.TLS = &st
	}
	fr := NewReader(bufio.NewReaderSize(sc.c, 32<<10), s.MaxFrameSize)
	fw := NewWriter(sc.c)
	for {
		if !s.setIdle(sc, true) {
			return
		}
		if s.IdleTimeout > 0 {
			sc.c.SetReadDeadline(time.Now().Add(s.IdleTimeout))
		} else {
			sc.c.SetReadDeadline(time.Time{})
		}
		if err := fr.waitStart(); err != nil {
			if !errors.Is(err, io.EOF) && !s.isClosing() {
				report(fmt.Errorf("mllp: read: %w", err))
			}
			return
		}
		if !s.setIdle(sc, false) {
			return // shutting down: the frame is not acknowledged, the sender resends
		}
		if s.ReadTimeout > 0 {
			sc.c.SetReadDeadline(time.Now().Add(s.ReadTimeout))
		} else {
			sc.c.SetReadDeadline(time.Time{})
		}
		msg, err := fr.ReadFrame()
		if err != nil {
			report(fmt.Errorf("mllp: read frame: %w", err))
			return
		}
		meta.Seq++
		meta.Received = time.Now()
		reply, err := s.Handler.Handle(s.baseCtx, msg, meta)
		if err != nil {
			report(fmt.Errorf("mllp: handler: %w", err))
			return
		}
		if reply == nil {
			continue
		}
		if s.WriteTimeout > 0 {
			sc.c.SetWriteDeadline(time.Now().Add(s.WriteTimeout))
		}
		if err := fw.WriteFrame(reply); err != nil {
			report(err)
			return
		}
	}
}

// Shutdown stops the server gracefully: it closes the listeners and idle
// connections, then waits for every message being read or handled to be
// answered. If ctx ends first, it cancels the handlers' context, closes all
// connections, waits for the goroutines and returns ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.init()
	s.closing = true
	for l := range s.listeners {
		l.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		s.closeIdle()
		select {
		case <-done:
			s.cancel()
			return nil
		case <-ctx.Done():
			s.Close()
			<-done
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func (s *Server) closeIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sc := range s.conns {
		if sc.idle {
			sc.c.Close()
		}
	}
}

// Close stops the server at once: listeners and connections are closed and
// handlers' context is cancelled. Replies not yet written are lost (and so,
// never acknowledged). It does not wait for handlers; Shutdown does.
func (s *Server) Close() error {
	s.mu.Lock()
	s.init()
	s.closing = true
	for l := range s.listeners {
		l.Close()
	}
	for sc := range s.conns {
		sc.c.Close()
	}
	s.mu.Unlock()
	s.cancel()
	return nil
}
