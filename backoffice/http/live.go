package http

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"time"
)

// liveMessage is one message of a live stream: the page's live parts by element id, as HTML rendered by
// the page's own templates (only the parts that changed; all of them in the first message), and the
// office's time.
type liveMessage struct {
	At   int64             `json:"at"`
	HTML map[string]string `json:"html,omitempty"`
}

// stream serves a Server-Sent Events stream: every live interval it calls build and sends the parts that
// changed as a "message" event, or a "ping" event when none did, so that the page can tell a quiet office
// from a gone one; while build fails it sends nothing, so the page shows its data as stale. It tells the browser to reconnect 2 s after the connection drops (an office restart),
// and ends when the client goes or the server shuts down.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, build func(context.Context) (map[string]string, error)) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	flusher.Flush()

	ctx := r.Context()
	sent := map[string]string{}
	t := time.NewTicker(s.o.LiveInterval)
	defer t.Stop()
	for {
		parts, err := build(ctx)
		if ctx.Err() != nil {
			return
		}
		msg := liveMessage{At: s.o.Now().UnixMilli()}
		if err != nil {
			// Send nothing: the page's data goes stale, and it says so.
			s.log.Warn("live stream", "path", r.URL.Path, "err", err)
			parts = nil
		}
		for id, html := range parts {
			if sent[id] != html {
				if msg.HTML == nil {
					msg.HTML = map[string]string{}
				}
				msg.HTML[id] = html
			}
		}
		b, _ := json.Marshal(msg)
		event := "message"
		if msg.HTML == nil {
			event = "ping"
		}
		if err == nil {
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
				return
			}
			flusher.Flush()
		}
		maps.Copy(sent, msg.HTML)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
