package dicomweb

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"yigong/dicom"
	"yigong/dicom/dicomjson"
	dnet "yigong/dicom/net"
	"yigong/dicom/uid"
	dicomsvc "yigong/server/dicom"
)

// maxPart caps one STOW-RS part.
const maxPart = 2 << 30

// Failure reasons of STOW-RS (PS3.18 Table 10.5.3-2, from PS3.4 B.2.3).
const (
	reasonNoMatch   = 0xA900 // the instance is not of the study in the path
	reasonCannot    = 0xC000
	reasonResources = 0xA700
)

// readPart reads one part up to maxPart, starting with room for a typical
// instance so that a part is not regrown from 512 bytes.
func readPart(r io.Reader) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, 64<<10))
	if _, err := buf.ReadFrom(io.LimitReader(r, maxPart)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// stow serves STOW-RS: multipart/related application/dicom parts, each
// stored like a C-STORE; the answer lists stored and failed instances.
func (h *handler) stow(c echo.Context) error {
	svc, err := h.service()
	if err != nil {
		return err
	}
	mt, params, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil || mt != "multipart/related" || params["boundary"] == "" {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "dicomweb: STOW-RS takes multipart/related; type=\"application/dicom\"")
	}
	if t := params["type"]; t != "" && t != "application/dicom" {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "dicomweb: STOW-RS of "+t+" is not supported; send application/dicom")
	}
	ctx := c.Request().Context()
	wantStudy := c.Param("study")
	b := base(c)
	resp := dicom.New()
	var okItems, failItems []*dicom.Dataset
	// The multipart reader peeks 4 KiB at a time: reading the socket
	// through a larger buffer makes one read system call per 256 KiB
	// instead of per 4 KiB (the body is megabytes).
	mr := multipart.NewReader(bufio.NewReaderSize(c.Request().Body, 256<<10), params["boundary"])
	var datas [][]byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "dicomweb: STOW-RS body: "+err.Error())
		}
		data, err := readPart(part)
		part.Close()
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "dicomweb: STOW-RS part: "+err.Error())
		}
		datas = append(datas, data)
	}
	// The parts are stored as one batch: one index commit, their blobs
	// made durable alongside it.
	type outcome struct {
		got         *dicomsvc.Ingested
		class, inst string
		reason      int64
	}
	outs := make([]outcome, len(datas))
	var items []dicomsvc.Item
	var at []int
	for i, data := range datas {
		in, err := dnet.ReadInstance(data)
		if err != nil {
			outs[i] = outcome{reason: reasonCannot}
			continue
		}
		outs[i] = outcome{class: in.SOPClassUID, inst: in.SOPInstanceUID}
		ts, ok := uid.LookupTransferSyntax(in.TransferSyntax)
		if !ok {
			outs[i].reason = reasonCannot
			continue
		}
		items = append(items, dicomsvc.Item{TransferSyntax: ts, Data: in.Data})
		at = append(at, i)
	}
	for k, r := range svc.IngestBatch(ctx, "STOW-RS", items) {
		o := &outs[at[k]]
		switch {
		case r.Err != nil:
			h.log.Warn("dicomweb stow failed", "sop_instance_uid", o.inst, "err", r.Err)
			o.reason = reasonResources
			if errors.Is(r.Err, dicomsvc.ErrInvalid) {
				o.reason = reasonCannot
			}
		case wantStudy != "" && r.StudyUID != wantStudy:
			// Stored already (the data are durable); reported as PS3.18
			// asks for an instance outside the path's study.
			o.reason = reasonNoMatch
		default:
			o.got = r.Ingested
		}
	}
	for _, o := range outs {
		it := dicom.NewItem(resp)
		if o.got == nil {
			_ = it.SetStrings(0x00081150, dicom.UI, o.class)
			_ = it.SetStrings(0x00081155, dicom.UI, o.inst)
			_ = it.SetInts(0x00081197, dicom.US, o.reason)
			failItems = append(failItems, it)
			continue
		}
		g := o.got
		_ = it.SetStrings(0x00081150, dicom.UI, g.SOPClassUID)
		_ = it.SetStrings(0x00081155, dicom.UI, g.SOPInstanceUID)
		_ = it.SetStrings(0x00081190, dicom.UR, b+"/studies/"+g.StudyUID+"/series/"+g.SeriesUID+"/instances/"+g.SOPInstanceUID)
		okItems = append(okItems, it)
	}
	if len(okItems) > 0 {
		resp.SetItems(0x00081199, okItems...)
	}
	if len(failItems) > 0 {
		resp.SetItems(0x00081198, failItems...)
	}
	if s := c.Param("study"); s != "" {
		_ = resp.SetStrings(0x00081190, dicom.UR, b+"/studies/"+s)
	}
	js, err := dicomjson.Marshal(resp, nil)
	if err != nil {
		return fmt.Errorf("dicomweb: stow response: %w", err)
	}
	status := http.StatusOK
	switch {
	case len(okItems) == 0 && len(failItems) > 0:
		status = http.StatusConflict
	case len(failItems) > 0:
		status = http.StatusAccepted
	}
	return c.Blob(status, "application/dicom+json", js)
}

// wadoURI serves WADO-URI (PS3.18 §9): the stored file, or a rendered
// JPEG/PNG.
func (h *handler) wadoURI(c echo.Context) error {
	q := c.QueryParams()
	if q.Get("requestType") != "WADO" {
		return echo.NewHTTPError(http.StatusBadRequest, "dicomweb: requestType must be WADO")
	}
	study, series, obj := q.Get("studyUID"), q.Get("seriesUID"), q.Get("objectUID")
	if study == "" || series == "" || obj == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "dicomweb: studyUID, seriesUID and objectUID are required")
	}
	c.SetParamNames("study", "series", "instance")
	c.SetParamValues(study, series, obj)
	ct := q.Get("contentType")
	if ct == "" {
		ct = "image/jpeg"
	}
	switch {
	case strings.HasPrefix(ct, "application/dicom"):
		svc, recs, err := h.records(c, levelImage, false)
		if err != nil {
			return err
		}
		r := recs[0]
		want := q.Get("transferSyntax")
		if want != "" && want != r.TransferSyntax && !transcodable(r.TransferSyntax, want) {
			return echo.NewHTTPError(http.StatusNotAcceptable, "dicomweb: transcoding to "+want+" is not supported")
		}
		if want == "" {
			want = r.TransferSyntax
		}
		c.Response().Header().Set(echo.HeaderContentType, "application/dicom")
		c.Response().WriteHeader(http.StatusOK)
		return writeInstance(c.Request().Context(), svc, c.Response(), r, want)
	case ct == "image/jpeg" || ct == "image/png":
		pf, r, err := h.readInstance(c)
		if err != nil {
			return err
		}
		window := ""
		if wc, ww := q.Get("windowCenter"), q.Get("windowWidth"); wc != "" && ww != "" {
			window = wc + "," + ww
		}
		img, err := render(pf, 1, window)
		if err != nil {
			return echo.NewHTTPError(http.StatusNotAcceptable, fmt.Sprintf("dicomweb: render %s: %v", r.SOPInstanceUID, err))
		}
		return writeImage(c, img, ct)
	}
	return echo.NewHTTPError(http.StatusNotAcceptable, "dicomweb: contentType "+ct+" is not supported")
}
