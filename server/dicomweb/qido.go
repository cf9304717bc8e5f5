package dicomweb

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"yigong/dicom"
	"yigong/dicom/dicomjson"
	"yigong/fhir/store"
	dicomsvc "yigong/server/dicom"
)

const (
	levelStudy  = store.DICOMStudy
	levelSeries = store.DICOMSeries
	levelImage  = store.DICOMImage
)

// Default return attributes per level (PS3.18 Tables 10.6.3-3 to -5).
var defaultTags = map[store.DICOMLevel][]dicom.Tag{
	levelStudy: {0x00080020, 0x00080030, 0x00080050, 0x00080056, 0x00080061, 0x00080090, 0x00080201, 0x00081190,
		0x00100010, 0x00100020, 0x00100030, 0x00100040, 0x0020000D, 0x00200010, 0x00201206, 0x00201208, 0x00081030},
	levelSeries: {0x00080060, 0x00080201, 0x0008103E, 0x00081190, 0x0020000E, 0x00200011, 0x00201209, 0x00400244,
		0x00400245, 0x00400275, 0x0020000D},
	levelImage: {0x00080016, 0x00080018, 0x00080056, 0x00080201, 0x00081190, 0x00200013, 0x00280010, 0x00280011,
		0x00280100, 0x00280008, 0x0020000D, 0x0020000E},
}

// identifier builds the query identifier of a QIDO-RS or retrieve
// request: the path UIDs and the matching parameters. Values arrive
// percent-decoded (net/url) and are UTF-8, so the identifier is
// ISO_IR 192. includefield and the paging parameters are returned apart.
type qidoParams struct {
	id            *dicom.Dataset
	include       []dicom.Tag
	includeAll    bool
	limit, offset int
	fuzzy         bool
}

func parseQIDO(c echo.Context) (*qidoParams, error) {
	p := &qidoParams{id: pathIdentifier(c)}
	for key, vals := range c.QueryParams() {
		if len(vals) == 0 {
			continue
		}
		switch key {
		case "limit", "offset":
			n, err := strconv.Atoi(vals[0])
			if err != nil || n < 0 {
				return nil, echo.NewHTTPError(http.StatusBadRequest, "dicomweb: "+key+" must be a non-negative integer")
			}
			if key == "limit" {
				p.limit = n
			} else {
				p.offset = n
			}
			continue
		case "includefield":
			for _, v := range vals {
				for _, f := range strings.Split(v, ",") {
					if f = strings.TrimSpace(f); f == "all" {
						p.includeAll = true
					} else if t, ok := parseAttr(f); ok {
						p.include = append(p.include, t)
					} else if f != "" {
						return nil, echo.NewHTTPError(http.StatusBadRequest, "dicomweb: includefield "+f+": unknown attribute")
					}
				}
			}
			continue
		case "fuzzymatching":
			p.fuzzy = vals[0] == "true"
			continue
		case "_", "charset":
			continue
		}
		t, ok := parseAttr(key)
		if !ok {
			return nil, echo.NewHTTPError(http.StatusBadRequest, "dicomweb: query parameter "+key+": unknown attribute")
		}
		v := strings.Join(vals, `\`)
		if e, ok := dicom.LookupTag(t); ok && e.VR() == dicom.SQ {
			continue
		}
		if err := p.id.SetStrings(t, 0, v); err != nil {
			if err := p.id.SetStrings(t, dicom.LO, v); err != nil {
				return nil, echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("dicomweb: %s=%q: %v", key, v, err))
			}
		}
	}
	return p, nil
}

// pathIdentifier starts an identifier with the UIDs of the path.
func pathIdentifier(c echo.Context) *dicom.Dataset {
	id := dicom.New()
	_ = id.SetStrings(dicom.TagSpecificCharacterSet, dicom.CS, "ISO_IR 192")
	if v := c.Param("study"); v != "" {
		_ = id.SetStrings(dicom.TagStudyInstanceUID, dicom.UI, v)
	}
	if v := c.Param("series"); v != "" {
		_ = id.SetStrings(dicom.TagSeriesInstanceUID, dicom.UI, v)
	}
	if v := c.Param("instance"); v != "" {
		_ = id.SetStrings(dicom.TagSOPInstanceUID, dicom.UI, v)
	}
	return id
}

// parseAttr reads a keyword ("PatientName") or a tag ("00100010").
func parseAttr(s string) (dicom.Tag, bool) {
	if len(s) == 8 {
		if n, err := strconv.ParseUint(s, 16, 32); err == nil {
			return dicom.Tag(n), true
		}
	}
	if e, ok := dicom.LookupKeyword(s); ok {
		return e.Tag, true
	}
	return 0, false
}

// qido serves QIDO-RS at one level.
func (h *handler) qido(level store.DICOMLevel) echo.HandlerFunc {
	return func(c echo.Context) error {
		svc, err := h.service()
		if err != nil {
			return err
		}
		p, err := parseQIDO(c)
		if err != nil {
			return err
		}
		ms, err := svc.Query(c.Request().Context(), dicomsvc.Query{Institution: scope(c, svc), Level: level, Identifier: p.id, FoldCase: true})
		if err != nil {
			return err
		}
		if p.offset >= len(ms) {
			ms = nil
		} else {
			ms = ms[p.offset:]
		}
		if p.limit > 0 && len(ms) > p.limit {
			ms = ms[:p.limit]
		}
		b := base(c)
		var buf []byte
		buf = append(buf, '[')
		for i, m := range ms {
			out := responseDataset(level, m, p, b)
			js, err := dicomjson.Marshal(out, &dicomjson.Options{BulkDataURI: bulkURI})
			if err != nil {
				return fmt.Errorf("dicomweb: qido: %w", err)
			}
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, js...)
		}
		buf = append(buf, ']')
		return c.Blob(http.StatusOK, "application/dicom+json", buf)
	}
}

// responseDataset selects the attributes of one QIDO-RS answer.
func responseDataset(level store.DICOMLevel, m dicomsvc.Match, p *qidoParams, b string) *dicom.Dataset {
	out := dicom.New()
	add := func(t dicom.Tag) {
		if e, ok := m.Dataset.Get(t); ok && t != dicom.TagSpecificCharacterSet {
			out.Set(e)
		}
	}
	if p.includeAll {
		for _, e := range m.Dataset.Elements() {
			if e.Tag != dicom.TagSpecificCharacterSet {
				out.Set(e)
			}
		}
	} else {
		for _, t := range defaultTags[level] {
			add(t)
		}
		for _, t := range p.include {
			add(t)
		}
		for _, e := range p.id.Elements() {
			add(e.Tag)
		}
	}
	r := m.Record
	url := b + "/studies/" + r.StudyUID
	switch level {
	case levelSeries:
		url += "/series/" + r.SeriesUID
	case levelImage:
		url += "/series/" + r.SeriesUID + "/instances/" + r.SOPInstanceUID
	}
	_ = out.SetStrings(0x00081190, dicom.UR, url)
	_ = out.SetStrings(0x00080056, dicom.CS, "ONLINE")
	return out
}

func bulkURI(path []dicom.Tag, e *dicom.Element) (string, bool) {
	if e.Bulk != nil && e.Bulk.URI != "" {
		return e.Bulk.URI, true
	}
	return "", false
}
