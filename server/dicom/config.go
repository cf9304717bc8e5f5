package dicom

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"yigong/dicom/charset"
)

// AE is a peer application entity.
type AE struct {
	// Title is its AE title.
	Title string `yaml:"title"`
	// Host and Port are where it listens; set, they make the AE a
	// C-MOVE destination and a routing target.
	Host string `yaml:"host"`
	Port int    `yaml:"port"`
	// Institution owns the instances it sends; "" means the hub's.
	Institution string `yaml:"institution"`
	// Charset is the Specific Character Set term of text it sends
	// without declaring one (GBK carts) and of our C-FIND answers to it;
	// "" leaves both as they are.
	Charset string `yaml:"charset"`
	// MoveTo lists the AE titles it may move to; empty means any known
	// destination.
	MoveTo []string `yaml:"move_to"`
	// SeeAll lets an AE with an institution find and retrieve every
	// institution's studies; without it, C-FIND, C-MOVE and C-GET from
	// that AE answer from its institution's studies only.
	SeeAll bool `yaml:"see_all"`
}

// Addr returns host:port, or "" when the AE has no address.
func (a AE) Addr() string {
	if a.Host == "" || a.Port == 0 {
		return ""
	}
	return net.JoinHostPort(a.Host, strconv.Itoa(a.Port))
}

// Route forwards instances matching all its non-empty conditions to
// Destination (an AE with an address).
type Route struct {
	CallingAE   string `yaml:"calling_ae"`
	Modality    string `yaml:"modality"`
	Institution string `yaml:"institution"`
	Destination string `yaml:"destination"`
}

// Settings is the DICOM part of the hub configuration that this package
// interprets.
type Settings struct {
	AETitle  string
	AllowAny bool // accept calling AEs not listed in AEs
	AEs      []AE
	Routes   []Route
	// SeeAll lists the institutions whose callers (DICOMweb principals)
	// see every institution's studies, besides the hub's own (the county
	// hospital, the health commission).
	SeeAll []string
}

// Validate checks the settings.
func (s *Settings) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for i, ae := range s.AEs {
		t := strings.TrimSpace(ae.Title)
		if t == "" || len(t) > 16 {
			errs = append(errs, fmt.Errorf("aes[%d].title %q: want 1 to 16 characters", i, ae.Title))
		}
		if seen[t] {
			errs = append(errs, fmt.Errorf("aes[%d].title %q: listed twice", i, ae.Title))
		}
		seen[t] = true
		if (ae.Host == "") != (ae.Port == 0) || ae.Port < 0 || ae.Port > 65535 {
			errs = append(errs, fmt.Errorf("aes[%d] %s: host and port go together (port 1-65535)", i, t))
		}
		if ae.Charset != "" {
			if _, err := charset.Parse(strings.Split(ae.Charset, `\`)...); err != nil {
				errs = append(errs, fmt.Errorf("aes[%d] %s: charset %q: %w", i, t, ae.Charset, err))
			}
		}
	}
	for i, r := range s.Routes {
		dest := s.ae(r.Destination)
		if dest == nil || dest.Addr() == "" {
			errs = append(errs, fmt.Errorf("routes[%d]: destination %q is not an AE with host and port", i, r.Destination))
		}
	}
	return errors.Join(errs...)
}

func (s *Settings) ae(title string) *AE {
	title = strings.TrimSpace(title)
	for i := range s.AEs {
		if s.AEs[i].Title == title {
			return &s.AEs[i]
		}
	}
	return nil
}
