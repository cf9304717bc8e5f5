package hl7_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"yigong/hl7v2"
	"yigong/hl7v2/mllp"
)

// loadMessage is message i of connection c: ADT^A01 for even i, ORU^R01
// (a result for the patient of the ADT just before) for odd i; patients
// repeat every 2*patients messages, so later ADTs update them.
func loadMessage(c, i, patients int) (ctl string, msg []byte) {
	ctl = fmt.Sprintf("L%d-%06d", c, i)
	p := (i / 2) % patients
	mrn := fmt.Sprintf("MRN-%d-%04d", c, p)
	head := fmt.Sprintf("MSH|^~\\&|LOAD%d|HOSP%d|YIGONG|HUB|20240301083000||%%s|%s|P|2.5.1\r", c, c, ctl)
	pid := fmt.Sprintf("PID|1||%s^^^HIS1^MR||王^小东%d||19800517|M\r", mrn, p)
	if i%2 == 0 {
		return ctl, fmt.Appendf(nil, head+"EVN|A01|20240301083000\r"+pid+
			"PV1|1|I|W03^305^2||||||||||||||||V-%d-%06d^^^HIS1^VN|||||||||||||||||||||||||20240301083000\r", "ADT^A01^ADT_A01", c, i)
	}
	return ctl, fmt.Appendf(nil, head+pid+
		"OBR|1|PL-%d-%06d|FL-%d-%06d|718-7^Hemoglobin^LN|||20240301083000|||||||||||||||20240301090000||LAB|F\r"+
		"OBX|1|NM|718-7^Hemoglobin^LN||13.%d|g/dL|12-16|N|||F|||20240301090000\r", "ORU^R01^ORU_R01", c, i, c, i, i%10)
}

// loadResult is what a load run saw.
type loadResult struct {
	acked     []string // control IDs acknowledged AA
	latencies []time.Duration
	elapsed   time.Duration
	next      []int // per connection, the first message not acknowledged
}

// runLoad sends messages start[c]..perConn-1 over conns connections (one
// sender each) to addr; every interval (0: as fast as the ACKs come) per
// connection. A connection stops at its first error (the server died).
func runLoad(ctx context.Context, addr string, conns, perConn, patients int, start []int, interval time.Duration, acked *atomic.Int64) loadResult {
	var mu sync.Mutex
	res := loadResult{next: make([]int, conns)}
	t0 := time.Now()
	var wg sync.WaitGroup
	for c := range conns {
		first := 0
		if start != nil {
			first = start[c]
		}
		res.next[c] = first
		wg.Go(func() {
			cl, err := mllp.Dial(ctx, addr, nil, 0)
			if err != nil {
				return
			}
			defer cl.Close()
			tick := time.Now()
			for i := first; i < perConn; i++ {
				if interval > 0 {
					tick = tick.Add(interval)
					if d := time.Until(tick); d > 0 {
						select {
						case <-time.After(d):
						case <-ctx.Done():
							return
						}
					}
				}
				ctl, msg := loadMessage(c, i, patients)
				sent := time.Now()
				sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				reply, err := cl.Send(sctx, msg)
				cancel()
				if err != nil {
					return
				}
				lat := time.Since(sent)
				ack, err := hl7v2.Parse(reply)
				if err != nil {
					return
				}
				if m := ack.Segment("MSA"); m == nil || m.Field(1).String() != "AA" || m.Field(2).String() != ctl {
					return
				}
				acked.Add(1)
				mu.Lock()
				res.acked = append(res.acked, ctl)
				res.latencies = append(res.latencies, lat)
				res.next[c] = i + 1
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(t0)
	return res
}
