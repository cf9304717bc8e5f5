package hl7

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"yigong/adapters/v2fhir"
	"yigong/fhir/store"
	"yigong/fhir/transaction"
	"yigong/hl7v2/mllp"
)

// Deps are what the service is built from besides its configuration.
type Deps struct {
	// Store holds the inbox and the resources; it must implement
	// store.Queue.
	Store store.Store
	// Processor executes the mapped Bundles (its Institution is replaced
	// by each message's).
	Processor *transaction.Processor
	// Institution is the default partition key of senders without a rule.
	Institution string
	Log         *slog.Logger
}

// Service is the HL7 v2 intake and delivery of the hub.
type Service struct {
	cfg            Config
	log            *slog.Logger
	store          store.Store
	q              store.Queue
	proc           *transaction.Processor
	institution    string
	rejectUnmapped bool
	stats          *stats
	commit         *committer
	instance       string // lease owner prefix and ACK control ID prefix
	ctlSeq         atomic.Int64
	noBatch        atomic.Bool   // set when a batch found that the store's transactions cannot search
	writeGate      chan struct{} // one slot: the workers' turn at a single-writer store; nil otherwise
	wakeInbox      chan struct{}
	wakeOutbox     chan struct{}
	notify         *notifier // nil without subscriptions

	mapperMu sync.Mutex // guards mappers
	mappers  map[string]*v2fhir.Mapper

	mu        sync.Mutex // guards listeners and the cancel functions
	listeners []*listener
	stopIntake,
	stopWork context.CancelFunc
	intakeWG, workWG, serveWG sync.WaitGroup
}

// New validates cfg and returns a service; Start binds it.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil || d.Processor == nil || d.Log == nil || d.Institution == "" {
		return nil, errors.New("hl7: Store, Processor, Institution and Log are required")
	}
	q, ok := d.Store.(store.Queue)
	if !ok {
		return nil, errors.New("hl7: the store has no durable queue (store.Queue)")
	}
	if err := cfg.Validate(d.Institution); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	var b [4]byte
	rand.Read(b[:])
	host, _ := os.Hostname()
	s := &Service{cfg: cfg, log: d.Log, store: d.Store, q: q, proc: d.Processor, institution: d.Institution,
		rejectUnmapped: cfg.Mapping.Unmapped == string(v2fhir.UnmappedReject),
		stats:          newStats(), instance: host + "-" + hex.EncodeToString(b[:]),
		wakeInbox: make(chan struct{}, max(1, cfg.Workers)), wakeOutbox: make(chan struct{}, 1),
		mappers: map[string]*v2fhir.Mapper{}}
	for _, inst := range append([]string{d.Institution}, senderInstitutions(cfg)...) {
		if _, err := s.newMapper(inst); err != nil {
			return nil, err
		}
	}
	if len(cfg.Subscriptions) > 0 {
		n, err := newNotifier(s, d.Institution)
		if err != nil {
			return nil, err
		}
		s.notify = n
	}
	s.commit = newCommitter(q, cfg.GroupCommit)
	if sw, ok := d.Store.(store.SingleWriter); ok && sw.SingleWriter() {
		s.writeGate = make(chan struct{}, 1)
	}
	s.commit.after = func(items []store.QueueInput, res []store.Enqueued) {
		for i, r := range res {
			if !r.Duplicate && items[i].Error == "" {
				s.wake(s.wakeInbox, cfg.Workers)
				return
			}
		}
	}
	return s, nil
}

func senderInstitutions(cfg Config) []string {
	var out []string
	for _, r := range cfg.Senders {
		if r.Institution != "" {
			out = append(out, r.Institution)
		}
	}
	return out
}

func (s *Service) newMapper(inst string) (*v2fhir.Mapper, error) {
	mc, err := s.cfg.mapperConfig(inst)
	if err != nil {
		return nil, err
	}
	m, err := v2fhir.New(mc)
	if err != nil {
		return nil, fmt.Errorf("hl7: mapper for %s: %w", inst, err)
	}
	s.mapperMu.Lock()
	s.mappers[inst] = m
	s.mapperMu.Unlock()
	return m, nil
}

// mapper returns the mapper tagging resources with inst.
func (s *Service) mapper(inst string) *v2fhir.Mapper {
	s.mapperMu.Lock()
	m := s.mappers[inst]
	s.mapperMu.Unlock()
	if m == nil {
		// An institution from an older configuration: the same
		// mapping, validated at New, with that institution.
		m, _ = s.newMapper(inst)
	}
	return m
}

func (s *Service) wake(ch chan struct{}, n int) {
	for range n {
		select {
		case ch <- struct{}{}:
		default:
			return
		}
	}
}

func (s *Service) nextControlID() string {
	return "YG" + strconv.FormatInt(time.Now().Unix(), 36) + strconv.FormatInt(s.ctlSeq.Add(1), 36)
}

// Start binds every listener, then starts the committer, the inbox
// workers, the outbound delivery and, with subscriptions, the notifier
// (notify.go), which stops with the workers. Listeners bound before a failure are
// closed again.
func (s *Service) Start(ctx context.Context) error {
	var bound []*listener
	var lns []net.Listener
	closeAll := func() {
		for _, l := range lns {
			l.Close()
		}
	}
	for _, lc := range s.cfg.Listeners {
		var tlsCfg *tls.Config
		if lc.TLSCert != "" {
			cert, err := tls.LoadX509KeyPair(lc.TLSCert, lc.TLSKey)
			if err != nil {
				closeAll()
				return fmt.Errorf("hl7: listener %s: tls: %w", lc.name(), err)
			}
			tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
		var nlc net.ListenConfig
		ln, err := nlc.Listen(ctx, "tcp", lc.Addr)
		if err != nil {
			closeAll()
			return fmt.Errorf("hl7: listen %s: %w", lc.Addr, err)
		}
		lns = append(lns, ln)
		l := &listener{cfg: lc, name: lc.name(), maxSize: lc.MaxMessageSize, ln: ln}
		idle := lc.IdleTimeout
		if idle == 0 {
			idle = 5 * time.Minute
		}
		l.srv = &mllp.Server{
			Handler: mllp.HandlerFunc(func(ctx context.Context, msg []byte, meta mllp.Meta) ([]byte, error) {
				return s.receive(ctx, l, msg, meta)
			}),
			TLSConfig: tlsCfg, MaxFrameSize: lc.MaxMessageSize, IdleTimeout: idle,
			ReadTimeout: time.Minute, WriteTimeout: time.Minute,
			ErrorFunc: func(meta mllp.Meta, err error) {
				s.log.Debug("mllp connection closed", "listener", l.name, "remote", addrString(meta.RemoteAddr), "err", err)
			},
		}
		bound = append(bound, l)
	}
	intakeCtx, stopIntake := context.WithCancel(context.WithoutCancel(ctx))
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	s.mu.Lock()
	s.listeners, s.stopIntake, s.stopWork = bound, stopIntake, stopWork
	s.mu.Unlock()
	s.intakeWG.Go(func() { s.commit.run(intakeCtx) })
	for i, l := range bound {
		ln := lns[i]
		s.serveWG.Go(func() {
			if err := l.srv.Serve(ln); err != nil && !errors.Is(err, mllp.ErrServerClosed) {
				s.log.Error("mllp listener failed", "listener", l.name, "err", err)
			}
		})
		s.log.Info("mllp listening", "addr", ln.Addr().String(), "listener", l.name, "tls", l.srv.TLSConfig != nil)
	}
	for i := range s.cfg.Workers {
		owner := fmt.Sprintf("%s/w%d", s.instance, i)
		s.workWG.Go(func() { s.work(workCtx, owner) })
	}
	s.workWG.Go(func() { s.deliver(workCtx, s.instance+"/out") })
	if s.notify != nil {
		// Positions are loaded before Start returns, so a new
		// subscription's start is the hub's start: every change written
		// through the hub from then on is notified.
		loadErr := s.notify.load(ctx)
		if loadErr != nil {
			s.log.Warn("hl7 notifications: loading positions; retrying in the background", "err", loadErr)
		}
		s.workWG.Go(func() { s.notify.run(workCtx, loadErr == nil) })
	}
	return nil
}

// Addrs returns the bound MLLP addresses, in configuration order.
func (s *Service) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []net.Addr
	for _, l := range s.listeners {
		if a := l.addr(); a != nil {
			out = append(out, a)
		}
	}
	return out
}

// Shutdown stops in order: the listeners (in-flight messages are committed
// and acknowledged), then the committer, then the workers (each finishes
// the message in hand). It returns when all goroutines have ended or ctx
// expires.
func (s *Service) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	ls, stopIntake, stopWork := s.listeners, s.stopIntake, s.stopWork
	s.mu.Unlock()
	if stopIntake == nil {
		return nil
	}
	errs := make([]error, len(ls)+1)
	var wg sync.WaitGroup
	for i, l := range ls {
		wg.Go(func() {
			if err := l.srv.Shutdown(ctx); err != nil {
				errs[i] = fmt.Errorf("hl7: shutdown %s: %w", l.name, err)
			}
		})
	}
	wg.Wait()
	s.serveWG.Wait()
	stopIntake()
	s.intakeWG.Wait()
	stopWork()
	done := make(chan struct{})
	go func() { s.workWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs[len(ls)] = fmt.Errorf("hl7: shutdown: workers: %w", ctx.Err())
		<-done // workers stop within their per-message bound
	}
	return errors.Join(errs...)
}
