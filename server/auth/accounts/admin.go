package accounts

import "slices"

// AdminRole is one of the three administrative roles of 三员分立, or none.
type AdminRole string

// The administrative roles.
const (
	NoAdmin       AdminRole = ""
	SystemAdmin   AdminRole = "system-admin"   // 系统管理员
	SecurityAdmin AdminRole = "security-admin" // 安全管理员
	AuditAdmin    AdminRole = "audit-admin"    // 审计管理员
)

// Privilege is an administrative power.
type Privilege string

// The administrative privileges.
const (
	ManageUsers   Privilege = "users"   // create, disable, reset passwords
	ManageClients Privilege = "clients" // register SMART and backend clients
	ManageRoles   Privilege = "roles"   // define roles, assign roles to users
	ManagePolicy  Privilege = "policy"  // password policy, unlock accounts
	ReadAudit     Privilege = "audit-read"
	PurgeAudit    Privilege = "audit-purge"
)

var adminPrivileges = map[AdminRole][]Privilege{
	SystemAdmin:   {ManageUsers, ManageClients},
	SecurityAdmin: {ManageRoles, ManagePolicy},
	AuditAdmin:    {ReadAudit, PurgeAudit},
}

// Privileges returns the privileges of an administrative role.
func (r AdminRole) Privileges() []Privilege { return slices.Clone(adminPrivileges[r]) }

// Has reports whether r carries p.
func (r AdminRole) Has(p Privilege) bool { return slices.Contains(adminPrivileges[r], p) }

// Valid reports whether r is a known role (or none).
func (r AdminRole) Valid() bool {
	_, ok := adminPrivileges[r]
	return ok || r == NoAdmin
}

// Incompatible reports whether one account holding all of privs would break
// the separation of duties: managing users, or roles, together with reading
// or purging the audit trail; or managing users together with roles.
func Incompatible(privs []Privilege) bool {
	has := func(p Privilege) bool { return slices.Contains(privs, p) }
	audit := has(ReadAudit) || has(PurgeAudit)
	return (has(ManageUsers) && audit) || (has(ManageRoles) && audit) || (has(ManageUsers) && has(ManageRoles))
}

// CanAssignAdmin reports whether an actor holding role actor may give target
// to another account: only the security administrator assigns roles, and
// never to itself (checked by the caller with the account ids).
func CanAssignAdmin(actor, target AdminRole) bool {
	return actor == SecurityAdmin && target.Valid()
}
