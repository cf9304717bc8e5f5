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

// readPart reads one part up to maxPart into buf's storage (reused when
// large enough), so that a part is not regrown from 512 bytes.
func readPart(r io.Reader, buf []byte) ([]byte, error) {
	if cap(buf) == 0 {
		buf = make([]byte, 0, 64<<10)
	}
	b := bytes.NewBuffer(buf[:0])
	if _, err := b.ReadFrom(io.LimitReader(r, maxPart)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// stowOutcome is the answer about one part.
type stowOutcome struct {
	class, inst string
	reason      int64
	got         *dicomsvc.Ingested
	batch       int // index in the batch's results, or -1
}

// stow serves STOW-RS: multipart/related application/dicom parts, each
// stored like a C-STORE; the answer lists stored and failed instances.
// Each part is handed to the service's batch as soon as it is read, so
// parsing and writing the first instances overlap reading the rest, and
// only the parts being prepared are held in memory; all are committed
// together, and the answer is sent once every stored instance is durable.
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
	// The multipart reader peeks 4 KiB at a time: reading the socket
	// through a larger buffer makes one read system call per 256 KiB
	// instead of per 4 KiB (the body is megabytes).
	mr := multipart.NewReader(bufio.NewReaderSize(c.Request().Body, 256<<10), params["boundary"])
	// Part buffers go back to free once their instance is prepared: a
	// request of same-sized instances reads each into an old buffer.
	free := make(chan []byte, stowBuffers)
	batch := svc.NewBatch(ctx, "STOW-RS")
	var outs []stowOutcome
	n := 0 // items in the batch
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil {
			var buf []byte
			select {
			case buf = <-free:
			default:
			}
			var data []byte
			data, err = readPart(part, buf)
			part.Close()
			if err == nil {
				outs = append(outs, h.stowPart(batch, data, free, &n))
				continue
			}
		}
		// The parts already read are stored all the same (a resent
		// request finds them held); the request is refused. When the
		// body was cut because the client went away, the request's
		// context is done and Wait drops the staged blobs instead.
		batch.Wait()
		return echo.NewHTTPError(http.StatusBadRequest, "dicomweb: STOW-RS body: "+err.Error())
	}
	results := batch.Wait()
	for i := range outs {
		o := &outs[i]
		if o.batch < 0 {
			continue
		}
		r := results[o.batch]
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
	js, okCount, failCount, err := stowResponse(base(c), c.Param("study"), outs)
	if err != nil {
		return err
	}
	status := http.StatusOK
	switch {
	case okCount == 0 && failCount > 0:
		status = http.StatusConflict
	case failCount > 0:
		status = http.StatusAccepted
	}
	return c.Blob(status, "application/dicom+json", js)
}

// stowBuffers bounds the part buffers a request keeps for reuse: those of
// the instances being prepared and the one being read.
const stowBuffers = 8

// stowPart reads the meta group of one part and adds its data set to the
// batch; a part that is no DICOM file fails without reaching the batch.
func (h *handler) stowPart(batch *dicomsvc.Batch, data []byte, free chan []byte, n *int) stowOutcome {
	in, err := dnet.ReadInstance(data)
	if err != nil {
		return stowOutcome{reason: reasonCannot, batch: -1}
	}
	o := stowOutcome{class: in.SOPClassUID, inst: in.SOPInstanceUID, batch: -1}
	ts, ok := uid.LookupTransferSyntax(in.TransferSyntax)
	if !ok {
		o.reason = reasonCannot
		return o
	}
	batch.Add(dicomsvc.Item{TransferSyntax: ts, Data: in.Data, Release: func() {
		select {
		case free <- data[:0]:
		default:
		}
	}})
	o.batch = *n
	*n++
	return o
}

// stowResponse builds the STOW-RS response (PS3.18 §10.5.3): the
// Referenced SOP Sequence of stored instances with their URLs, the Failed
// SOP Sequence with reasons.
func stowResponse(b, study string, outs []stowOutcome) (js []byte, ok, failed int, err error) {
	resp := dicom.New()
	var okItems, failItems []*dicom.Dataset
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
	if study != "" {
		_ = resp.SetStrings(0x00081190, dicom.UR, b+"/studies/"+study)
	}
	js, err = dicomjson.Marshal(resp, nil)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("dicomweb: stow response: %w", err)
	}
	return js, len(okItems), len(failItems), nil
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
