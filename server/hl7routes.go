package server

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"yigong/fhir"
	"yigong/fhir/store"
	"yigong/server/hl7"
)

// hl7Routes registers the operators' HL7 v2 API under /admin/hl7:
//
//	GET  /stats                      counts per sender and message type
//	GET  /messages?state=error       inbox items (queue=out: the outbox)
//	GET  /messages/{id}              one item with its raw bytes
//	POST /messages/{id}/$replay      process (or send) one item again
//	POST /$replay-errors             replay every inbox item in the error state (queue=out: dead letters)
func (s *Server) hl7Routes(g *echo.Group) {
	g.GET("/stats", s.hl7Stats)
	g.GET("/messages", s.hl7Messages)
	g.GET("/messages/:id", s.hl7Message)
	g.POST("/messages/:id/$replay", s.hl7Replay)
	g.POST("/$replay-errors", s.hl7ReplayErrors)
}

func (s *Server) hl7Service() (*hl7.Service, error) {
	if s.hl7 == nil {
		return nil, fhir.Errorf(fhir.KindNotFound, "hl7: MLLP is not enabled (no mllp.listeners)")
	}
	return s.hl7, nil
}

func (s *Server) hl7Stats(c echo.Context) error {
	svc, err := s.hl7Service()
	if err != nil {
		return err
	}
	st, err := svc.Stats(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

// queueItem is an inbox or outbox item as the API shows it.
type queueItem struct {
	ID          int64            `json:"id"`
	Queue       string           `json:"queue"`
	Institution string           `json:"institution"`
	Partition   string           `json:"partition"`
	Type        string           `json:"message_type"`
	State       store.QueueState `json:"state"`
	Attempts    int              `json:"attempts"`
	NextAt      string           `json:"next_attempt,omitempty"`
	Enqueued    string           `json:"enqueued"`
	Updated     string           `json:"updated"`
	LastError   string           `json:"last_error,omitempty"`
	Outcome     string           `json:"outcome,omitempty"`
	Meta        any              `json:"meta,omitempty"`
	Body        []byte           `json:"body,omitempty"` // base64 of the raw bytes, as received
}

func toQueueItem(it store.QueueItem) queueItem {
	const layout = "2006-01-02T15:04:05.000Z07:00"
	q := queueItem{ID: it.ID, Queue: it.Queue, Institution: it.Institution, Partition: it.Partition, Type: it.Type,
		State: it.State, Attempts: it.Attempts, Enqueued: it.Enqueued.Format(layout), Updated: it.Updated.Format(layout),
		LastError: it.LastError, Outcome: it.Outcome, Body: it.Body}
	if it.State == store.QueuePending {
		q.NextAt = it.NextAt.Format(layout)
	}
	if len(it.Meta) > 0 {
		q.Meta = jsonRaw(it.Meta)
	}
	return q
}

type jsonRaw []byte

func (j jsonRaw) MarshalJSON() ([]byte, error) { return j, nil }

func (s *Server) hl7Messages(c echo.Context) error {
	svc, err := s.hl7Service()
	if err != nil {
		return err
	}
	after, _ := strconv.ParseInt(c.QueryParam("after"), 10, 64)
	limit, _ := strconv.Atoi(c.QueryParam("limit"))
	state := store.QueueState(c.QueryParam("state"))
	switch state {
	case "", store.QueuePending, store.QueueLeased, store.QueueDone, store.QueueError:
	default:
		return fhir.Errorf(fhir.KindInvalid, "hl7: state %q: want pending, leased, done or error", state)
	}
	items, err := svc.Messages(c.Request().Context(), c.QueryParam("queue") == "out", state, after, limit)
	if err != nil {
		return err
	}
	out := make([]queueItem, len(items))
	for i, it := range items {
		out[i] = toQueueItem(it)
	}
	return c.JSON(http.StatusOK, map[string]any{"messages": out})
}

func (s *Server) hl7Message(c echo.Context) error {
	svc, err := s.hl7Service()
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return fhir.Errorf(fhir.KindInvalid, "hl7: message id %q is not a number", c.Param("id"))
	}
	it, err := svc.Message(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toQueueItem(*it))
}

func (s *Server) hl7Replay(c echo.Context) error {
	svc, err := s.hl7Service()
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return fhir.Errorf(fhir.KindInvalid, "hl7: message id %q is not a number", c.Param("id"))
	}
	ok, err := svc.Replay(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if !ok {
		return fhir.Errorf(fhir.KindConflict, "hl7: message %d is neither in the error nor the done state", id)
	}
	return c.JSON(http.StatusOK, map[string]any{"replayed": 1})
}

func (s *Server) hl7ReplayErrors(c echo.Context) error {
	svc, err := s.hl7Service()
	if err != nil {
		return err
	}
	n, err := svc.ReplayErrors(c.Request().Context(), c.QueryParam("queue") == "out")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"replayed": n})
}
