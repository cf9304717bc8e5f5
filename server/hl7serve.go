package server

import (
	"context"
	"net"

	"yigong/server/hl7"
)

// startHL7 starts HL7 v2 intake (MLLP listeners, inbox workers, outbound
// delivery) when listeners or subscriptions (notifications out) are
// configured.
func (s *Server) startHL7(ctx context.Context) error {
	if len(s.cfg.MLLP.Listeners) == 0 && len(s.cfg.MLLP.Subscriptions) == 0 {
		return nil
	}
	svc, err := hl7.New(s.cfg.MLLP, hl7.Deps{Store: s.store, Processor: s.api.Processor(), Institution: s.cfg.Institution,
		Log: s.log.With("component", "hl7")})
	if err != nil {
		return err
	}
	if err := svc.Start(ctx); err != nil {
		return err
	}
	s.hl7 = svc
	return nil
}

// MLLPAddrs are the bound MLLP addresses (useful when configured with port
// 0); nil without MLLP.
func (s *Server) MLLPAddrs() []net.Addr {
	if s.hl7 == nil {
		return nil
	}
	return s.hl7.Addrs()
}

// HL7 is the HL7 v2 service, nil without MLLP listeners and subscriptions.
func (s *Server) HL7() *hl7.Service { return s.hl7 }
