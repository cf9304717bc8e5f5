package dicom

import (
	"context"
	"strings"

	dnet "yigong/dicom/net"
)

// filter is the association policy of the AE configuration.
type filter struct{ s *Service }

var _ dnet.AssociationFilter = filter{}

// AllowAssociation accepts listed calling AEs (any when AllowAny or when
// no AE is configured).
func (f filter) AllowAssociation(ctx context.Context, info *dnet.AssociationInfo) error {
	o := &f.s.opts
	if o.AllowAny || len(o.AEs) == 0 || o.ae(info.CallingAE) != nil {
		return nil
	}
	f.s.log.Warn("dicom association refused", "aet", strings.TrimSpace(info.CallingAE), "remote", addrString(info))
	return &dnet.RejectError{Result: 1, Source: 1, Reason: 3}
}

// AcceptTransferSyntax accepts every syntax the server supports: instances
// are stored as received.
func (f filter) AcceptTransferSyntax(info *dnet.AssociationInfo, abstractSyntax, ts string) bool {
	return true
}

func addrString(info *dnet.AssociationInfo) string {
	if info == nil || info.RemoteAddr == nil {
		return ""
	}
	return info.RemoteAddr.String()
}

// resolveAE maps a C-MOVE destination to its address.
func (s *Service) resolveAE(ctx context.Context, aet string) (string, error) {
	if ae := s.opts.ae(aet); ae != nil {
		return ae.Addr(), nil
	}
	return "", nil
}

// mayMove reports whether caller may move to dest.
func (s *Service) mayMove(caller, dest string) bool {
	ae := s.opts.ae(caller)
	if ae == nil || len(ae.MoveTo) == 0 {
		return true
	}
	for _, d := range ae.MoveTo {
		if strings.TrimSpace(d) == strings.TrimSpace(dest) {
			return true
		}
	}
	return false
}
