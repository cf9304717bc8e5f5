package sqlstore

import (
	"context"
	"strings"

	"yigong/fhir/store"
)

// visibilityOf returns the caller's restriction carried by ctx (nil: none).
func visibilityOf(ctx context.Context) *store.Visibility {
	if v, ok := store.VisibilityOf(ctx); ok {
		return &v
	}
	return nil
}

// visibilitySQL returns the condition that a row of alias x (any table with
// institution, type, id columns: resources, resource_versions, an index
// table) belongs to what v sees, or "" when v is nil (unrestricted). See
// store.Visibility: whole institutions, plus shared patients and every
// resource of their institution that references them.
func visibilitySQL(a *sqlArgs, v *store.Visibility, x string) string {
	if v == nil {
		return ""
	}
	var ors []string
	if len(v.Institutions) > 0 {
		ors = append(ors, x+".institution IN ("+argList(a, v.Institutions)+")")
	}
	if len(v.Patients) > 0 {
		self := make([]string, len(v.Patients))
		refs := make([]string, len(v.Patients))
		for i, p := range v.Patients {
			inst, id := a.arg(p.Institution), a.arg(p.ID)
			self[i] = "(" + x + ".institution = " + inst + " AND " + x + ".id = " + id + ")"
			refs[i] = "(vx.institution = " + inst + " AND vx.ref_id = " + id + ")"
		}
		ors = append(ors, "("+x+".type = 'Patient' AND ("+strings.Join(self, " OR ")+"))",
			"EXISTS (SELECT 1 FROM idx_reference vx WHERE vx.institution = "+x+".institution AND vx.type = "+x+
				".type AND vx.id = "+x+".id AND vx.ref_type = 'Patient' AND ("+strings.Join(refs, " OR ")+"))")
	}
	if len(ors) == 0 {
		return "FALSE"
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}
