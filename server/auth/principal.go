package auth

import (
	"context"
	"time"

	"yigong/server/auth/roles"
	"yigong/server/auth/scope"
)

// Kind says who a Principal is.
type Kind string

// The kinds of principals.
const (
	KindUser   Kind = "user"   // a person through a SMART app
	KindClient Kind = "client" // a backend system (client_credentials)
	KindDev    Kind = "dev"    // local development mode: everything allowed
)

// Principal is who a request acts for, as the access token says.
type Principal struct {
	Kind        Kind
	Subject     string // user id or client id
	ClientID    string
	Institution string // the caller's institution (Organization id)
	FHIRUser    string // "Practitioner/123"
	Scopes      scope.Set
	Patient     string // launch patient id: limits patient/ scopes to this compartment
	Encounter   string
	Roles       []string           // role ids (user principals)
	Permissions []roles.Permission // effective role permissions, resolved at token issue
	TokenID     string             // jti, for audit and revocation
	Expires     time.Time
	// Admin is the user's administrative role (accounts.AdminRole), "" for none.
	Admin string
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the request's principal, or nil.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
