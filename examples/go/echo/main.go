// Command echo-bot consumes the gateway's events (EventService.StreamEvents) as a consumer
// group and answers every message a person sends with SendMessage, then acks the event.
//
//	./gopath/bin/echo-bot -page 1001
//
// A text gets "echo: <text>", a tapped quick reply or postback button "got <payload>". The
// event's traceparent (and tracestate) go with the reply as gRPC metadata, so the customer's
// message, the webhook, this bot and the reply are one trace. One line per event on stdout.
//
// Build: see examples/go/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	messengerv1 "messengergateway/gen/go/messenger/v1"
)

// Replies: a 10 s deadline, UNAVAILABLE retried up to 3 attempts (as the send example;
// grpc-go before 1.40 retries only with GRPC_GO_RETRY=on). The event stream is long-lived:
// its deadline is -stream-deadline, then it is reopened.
const serviceConfig = `{"methodConfig": [{
  "name": [{"service": "messenger.v1.MessengerService"}],
  "timeout": "10s",
  "retryPolicy": {
    "maxAttempts": 3,
    "initialBackoff": "0.2s",
    "maxBackoff": "2s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"]
  }
}]}`

const replyDeadline = 10 * time.Second

type pageList []string

func (p *pageList) String() string     { return strings.Join(*p, ",") }
func (p *pageList) Set(v string) error { *p = append(*p, v); return nil }

type bot struct {
	target, group, apiKey string
	pages                 pageList
	maxEvents             int
	fromStart             bool
	streamDeadline        time.Duration
	events                messengerv1.EventServiceClient
	messenger             messengerv1.MessengerServiceClient
	handled               int
}

func main() {
	b := &bot{}
	flag.StringVar(&b.target, "target", envOr("GATEWAY_TARGET", "127.0.0.1:50051"), "gateway address")
	flag.StringVar(&b.group, "group", "echo-bot-go", "the consumer group")
	flag.Var(&b.pages, "page", "only this Page's events (repeatable; default: all granted)")
	flag.IntVar(&b.maxEvents, "max-events", 0, "exit after N events (0: run until Ctrl-C)")
	once := flag.Bool("once", false, "the same as -max-events 1")
	flag.BoolVar(&b.fromStart, "from-start", false, "a new group begins with every retained event")
	streamDeadline := flag.Float64("stream-deadline", 3600, "deadline of each StreamEvents stream in seconds; it is reopened when it expires")
	flag.StringVar(&b.apiKey, "api-key", os.Getenv("GATEWAY_API_KEY"), "sent as authorization: Bearer KEY")
	flag.Parse()
	if *once {
		b.maxEvents = 1
	}
	b.streamDeadline = time.Duration(*streamDeadline * float64(time.Second))
	if b.maxEvents < 0 || b.streamDeadline <= 0 || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}

	conn, err := grpc.Dial(b.target, grpc.WithInsecure(), grpc.WithDefaultServiceConfig(serviceConfig))
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial:", err)
		os.Exit(1)
	}
	defer conn.Close()
	b.events = messengerv1.NewEventServiceClient(conn)
	b.messenger = messengerv1.NewMessengerServiceClient(conn)

	// Ctrl-C or SIGTERM ends the stream; unacked events go back to the group.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for {
		done, err := b.streamOnce(ctx)
		if ctx.Err() != nil {
			return // stopped by a signal
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "StreamEvents failed: %s\n", describeFailure(err))
			conn.Close()
			os.Exit(1)
		}
		if done {
			return
		}
	}
}

// streamOnce runs one StreamEvents stream. done is false when its deadline passed and a new
// stream should be opened.
func (b *bot) streamOnce(parent context.Context) (done bool, err error) {
	ctx, cancel := context.WithTimeout(b.withAuth(parent), b.streamDeadline)
	defer cancel()
	stream, err := b.events.StreamEvents(ctx)
	if err != nil {
		return false, err
	}
	start := messengerv1.StartPosition_START_POSITION_LATEST
	if b.fromStart {
		start = messengerv1.StartPosition_START_POSITION_EARLIEST
	}
	if err := stream.Send(&messengerv1.StreamEventsRequest{Subscribe: &messengerv1.Subscribe{
		ConsumerGroup: b.group, PageIds: b.pages, Start: start,
	}}); err != nil && err != io.EOF {
		return false, err
	}
	// The gateway answers the headers once the subscription is live.
	if _, err := stream.Header(); err == nil {
		pages := ""
		if len(b.pages) > 0 {
			pages = " for page(s) " + strings.Join(b.pages, ", ")
		}
		fmt.Fprintf(os.Stderr, "echo bot on %s as group %s%s\n", b.target, b.group, pages)
	}
	for {
		res, err := stream.Recv()
		if err == io.EOF {
			return true, nil // the gateway ended the stream (after our CloseSend, or it is shutting down)
		}
		if err != nil {
			if status.Code(err) == codes.DeadlineExceeded && parent.Err() == nil {
				return false, nil // the stream's deadline: unacked events go back to the group; subscribe again
			}
			return true, err
		}
		if res.Event == nil {
			continue
		}
		if err := stream.Send(b.handle(parent, res)); err != nil {
			return true, err
		}
		b.handled++
		if b.maxEvents > 0 && b.handled >= b.maxEvents {
			// Half-close: the gateway applies the acks, then ends the stream (io.EOF above).
			if err := stream.CloseSend(); err != nil {
				return true, err
			}
		}
	}
}

// handle answers one event, prints its line, and returns the ack (or nack) to send.
func (b *bot) handle(parent context.Context, res *messengerv1.StreamEventsResponse) *messengerv1.StreamEventsRequest {
	e := res.Event
	attempt := ""
	if res.DeliveryAttempt > 1 {
		attempt = fmt.Sprintf(" attempt=%d", res.DeliveryAttempt)
	}
	ack := &messengerv1.StreamEventsRequest{Ack: &messengerv1.Ack{EventIds: []string{e.EventId}}}
	text, ok := replyText(e)
	if !ok {
		fmt.Printf("skipped %s page=%s from=%s kind=%s%s\n", e.EventId, e.PageId, e.SenderId, kindName(e), attempt)
		return ack
	}
	sent, err := b.reply(parent, e, text)
	if err != nil {
		details, retryDelay, retry := decodeFailure(err)
		if !retry {
			// Retrying cannot help (or could send twice): log it and move the conversation on.
			fmt.Printf("failed %s page=%s to=%s%s %s -> acked\n", e.EventId, e.PageId, e.SenderId, attempt, details)
			return ack
		}
		// The gateway says when trying again can help: the event comes back after that long (its
		// conversation waits meanwhile; past the gateway's maximum deliveries it is parked).
		fmt.Printf("failed %s page=%s to=%s%s %s -> nacked, redelivery in %gs\n", e.EventId, e.PageId, e.SenderId, attempt, details, retryDelay.Seconds())
		return &messengerv1.StreamEventsRequest{Nack: &messengerv1.Nack{EventIds: []string{e.EventId}, Delay: durationpb.New(retryDelay)}}
	}
	traceID := "-"
	if parts := strings.Split(e.Traceparent, "-"); len(parts) == 4 {
		traceID = parts[1]
	}
	// When the conversation's 24-hour window ends (the gateway's record as of this event):
	// after it, only a HUMAN_AGENT reply or a utility template goes out.
	windowEnd := "-"
	if e.StandardWindowEnd != nil {
		windowEnd = e.StandardWindowEnd.AsTime().UTC().Format(time.RFC3339Nano)
	}
	fmt.Printf("replied %s page=%s to=%s%s text=%q message_id=%s trace_id=%s window_end=%s\n", e.EventId, e.PageId, sent.RecipientId, attempt, text, sent.MessageId, traceID, windowEnd)
	return ack
}

// reply sends the answer with the event's trace context as metadata, and a deadline.
func (b *bot) reply(parent context.Context, e *messengerv1.Event, text string) (*messengerv1.SendMessageResponse, error) {
	ctx := b.withAuth(parent)
	if e.Traceparent != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "traceparent", e.Traceparent)
	}
	if e.Tracestate != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "tracestate", e.Tracestate)
	}
	ctx, cancel := context.WithTimeout(ctx, replyDeadline)
	defer cancel()
	return b.messenger.SendMessage(ctx, &messengerv1.SendMessageRequest{
		PageId:        e.PageId,
		Recipient:     &messengerv1.Recipient{Identifier: &messengerv1.Recipient_Id{Id: e.SenderId}},
		Message:       &messengerv1.Message{Content: &messengerv1.Message_Text{Text: text}},
		MessagingType: messengerv1.MessagingType_MESSAGING_TYPE_RESPONSE,
	})
}

func (b *bot) withAuth(ctx context.Context) context.Context {
	if b.apiKey == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+b.apiKey)
}

// replyText is what the bot answers to an event; ok is false when it does not answer.
func replyText(e *messengerv1.Event) (text string, ok bool) {
	switch k := e.Kind.(type) {
	case *messengerv1.Event_Message:
		m := k.Message
		switch {
		case m.IsEcho:
			return "", false // the Page's own message: answering it would loop
		case m.QuickReplyPayload != "":
			return "got " + m.QuickReplyPayload, true
		case m.Text != "":
			return "echo: " + m.Text, true
		}
		return "", false // attachments only: nothing to echo
	case *messengerv1.Event_Postback:
		return "got " + k.Postback.Payload, true
	}
	return "", false
}

// kindName is the name of the event's `kind` field (message, postback, read, ...).
func kindName(e *messengerv1.Event) string {
	m := e.ProtoReflect()
	f := m.WhichOneof(m.Descriptor().Oneofs().ByName("kind"))
	if f == nil {
		return "unknown"
	}
	if msg := e.GetMessage(); msg != nil && msg.IsEcho {
		return "message_echo"
	}
	return string(f.Name())
}

// decodeFailure puts a failed call's status and details on one line, and says whether the
// event should be tried again, after retryDelay.
func decodeFailure(err error) (details string, retryDelay time.Duration, retry bool) {
	st := status.Convert(err) // the google.rpc.Status from the grpc-status-details-bin trailer
	parts := []string{codeName(st.Code().String()), fmt.Sprintf("%q", st.Message())}
	maybeDelivered := false
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			parts = append(parts, "reason="+d.Reason)
			maybeDelivered = d.Metadata["maybe_delivered"] == "true"
		case *messengerv1.GraphError:
			parts = append(parts, fmt.Sprintf("graph_code=%d fbtrace_id=%s", int32(d.Code), d.FbtraceId))
		case *errdetails.RetryInfo:
			retryDelay, retry = d.RetryDelay.AsDuration(), true
			parts = append(parts, fmt.Sprintf("retry_delay=%gs", retryDelay.Seconds()))
		case *errdetails.BadRequest:
			var v []string
			for _, fv := range d.FieldViolations {
				v = append(v, fv.Field+": "+fv.Description)
			}
			parts = append(parts, fmt.Sprintf("violations=%q", strings.Join(v, "; ")))
		}
	}
	if maybeDelivered {
		parts = append(parts, "maybe_delivered=true")
		retry = false // the reply may have gone out: a second one would be a duplicate
	}
	return strings.Join(parts, " "), retryDelay, retry
}

func describeFailure(err error) string {
	details, _, _ := decodeFailure(err)
	return details
}

// codeName turns Go's "FailedPrecondition" into the canonical "FAILED_PRECONDITION".
func codeName(camel string) string {
	var b strings.Builder
	prev := 'A'
	for _, r := range camel {
		if r >= 'A' && r <= 'Z' && prev >= 'a' && prev <= 'z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
		prev = r
	}
	return strings.ToUpper(b.String())
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
