package hl7

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"yigong/adapters/v2fhir"
	"yigong/fhir/store"
	"yigong/hl7v2"
	"yigong/hl7v2/mllp"
)

// appAckItem builds the outbox item of an enhanced-mode application ACK
// (MSH-16 AL, or ER/SU when they apply) for a processed inbox message; ok
// is false when none is due or the sender has no return address (counted).
func (s *Service) appAckItem(it *store.QueueItem, meta itemMeta, msg *hl7v2.Message, code string, cause error) (store.QueueInput, bool) {
	if meta.AppAck == "" || !wantAck(meta.AppAck, cause == nil) {
		return store.QueueInput{}, false
	}
	if meta.ReturnAddr == "" {
		s.stats.mu.Lock()
		s.stats.appAckUndeliverable++
		s.stats.mu.Unlock()
		return store.QueueInput{}, false
	}
	var errs []hl7v2.ErrorDetail
	if cause != nil {
		errs = append(errs, errorDetail(cause))
	}
	body, err := s.ack(msg, code, errs)
	if err != nil {
		return store.QueueInput{}, false
	}
	mb, _ := json.Marshal(itemMeta{ControlID: meta.ControlID, Destination: meta.ReturnAddr, Kind: "app-ack", Received: time.Now()})
	return store.QueueInput{Queue: QueueOutbox, Institution: it.Institution, Partition: meta.ReturnAddr,
		Type: "ACK", Meta: mb, Body: body}, true
}

// applicationAck queues the application ACK of a message that ended in the
// error state.
func (s *Service) applicationAck(ctx context.Context, it *store.QueueItem, code string, cause error) {
	var meta itemMeta
	if json.Unmarshal(it.Meta, &meta) != nil || meta.AppAck == "" {
		return
	}
	opts := hl7v2.DecodeOptions{Charset: func(hl7v2.Sender, string) string { return meta.Charset }}
	msg, err := opts.Parse(it.Body)
	if err != nil {
		msg = headerOnly(it.Body, meta.Charset)
	}
	item, ok := s.appAckItem(it, meta, msg, code, cause)
	if !ok {
		return
	}
	if _, err := s.q.Enqueue(ctx, []store.QueueInput{item}); err != nil {
		s.log.Warn("hl7 application ACK not queued", "sender", it.Partition, "control_id", meta.ControlID, "err", err)
		return
	}
	s.wake(s.wakeOutbox, 1)
}

func errorDetail(err error) hl7v2.ErrorDetail {
	var pe permanentError
	if errors.As(err, &pe) {
		err = pe.err
	}
	return v2fhir.ErrorDetail(err)
}

// deliver sends the outbox with the MLLP client: per destination in order
// (one connection each, kept open between messages), with backoff
// retries; after Outbound.MaxAttempts a message is dead-lettered (state
// error, replayable).
func (s *Service) deliver(ctx context.Context, owner string) {
	conns := map[string]*mllp.Client{}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for ctx.Err() == nil {
		items, err := s.q.Claim(ctx, store.ClaimRequest{Queue: QueueOutbox, Owner: owner, Limit: 32, PerPartition: 32, Lease: time.Minute})
		if err != nil || len(items) == 0 {
			if err != nil && ctx.Err() == nil {
				s.log.Error("hl7 outbox claim failed", "err", err)
			}
			t := time.NewTimer(idlePoll)
			select {
			case <-ctx.Done():
			case <-t.C:
			case <-s.wakeOutbox:
			}
			t.Stop()
			continue
		}
		for i := 0; i < len(items); i++ {
			it := items[i]
			err := s.send(ctx, conns, &it)
			if err == nil {
				if err := s.q.Complete(ctx, it.ID, owner, "sent"); err != nil {
					s.log.Warn("hl7 outbox completion failed", "err", err)
				}
				continue
			}
			if c := conns[it.Partition]; c != nil {
				c.Close()
				delete(conns, it.Partition)
			}
			j := i + 1
			for j < len(items) && items[j].Partition == it.Partition {
				j++
			}
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			state, ferr := s.q.Fail(fctx, it.ID, store.QueueFailure{Owner: owner, Error: err.Error(),
				MaxAttempts: s.cfg.Outbound.MaxAttempts, Backoff: s.cfg.Backoff, MaxBackoff: s.cfg.MaxBackoff})
			cancel()
			s.release(owner, items[i+1:j])
			i = j - 1
			log := s.log.With("destination", it.Partition, "control_id", controlID(&it), "message_type", it.Type, "outbox_id", it.ID)
			switch {
			case ferr != nil:
				log.Warn("hl7 outbox failure not recorded", "err", ferr, "cause", err)
			case state == store.QueueError:
				log.Error("hl7 message dead-lettered", "err", err)
			default:
				log.Warn("hl7 send failed; will retry", "err", err)
			}
		}
	}
	// Leases of unsent items expire by themselves; nothing to release.
}

// send delivers one outbox item and checks the receiver's ACK.
func (s *Service) send(ctx context.Context, conns map[string]*mllp.Client, it *store.QueueItem) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Outbound.Timeout)
	defer cancel()
	c := conns[it.Partition]
	if c == nil {
		var err error
		if c, err = mllp.Dial(ctx, it.Partition, nil, 0); err != nil {
			return err
		}
		conns[it.Partition] = c
	}
	reply, err := c.Send(ctx, it.Body)
	if err != nil {
		return err
	}
	if it.Type == "ACK" {
		return nil // an application ACK is not acknowledged in turn
	}
	ack, err := hl7v2.Parse(reply)
	if err != nil {
		return fmt.Errorf("hl7: reply: %w", err)
	}
	msa := ack.Segment("MSA")
	if msa == nil {
		return errors.New("hl7: reply has no MSA")
	}
	switch code := msa.Field(1).String(); code {
	case hl7v2.AckAccept, hl7v2.AckCommit:
		return nil
	default:
		text := msa.Field(3).String()
		if e := ack.Segment("ERR"); e != nil {
			text += " " + e.Field(8).String()
		}
		return fmt.Errorf("hl7: receiver answered %s: %s", code, text)
	}
}
