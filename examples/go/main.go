// Command messenger-example sends a typing indicator and a text message through the
// Messenger gRPC gateway, and prints the rich error details (google.rpc.Status) when
// the gateway refuses.
//
//	./examples/go/messenger-example -to 1234567890 -text "Hello from Go"
//
// Build: see examples/go/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	messengerv1 "messengergateway/gen/go/messenger/v1"
)

// Deadline and retries for every call: retry only UNAVAILABLE (the gateway or Graph was
// briefly unreachable), at most 3 attempts with exponential backoff. RetryInfo is read in
// printError. grpc-go before 1.40 (Debian's is 1.33) retries only with GRPC_GO_RETRY=on.
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

func main() {
	target := flag.String("target", envOr("GATEWAY_TARGET", "127.0.0.1:50051"), "gateway address")
	page := flag.String("page", envOr("PAGE_ID", "1001"), "the sending Page id")
	to := flag.String("to", "", "the recipient's PSID (required)")
	text := flag.String("text", "Hello from Go", "the message text")
	flag.Parse()
	if *to == "" {
		flag.Usage()
		os.Exit(2)
	}

	conn, err := grpc.Dial(*target, grpc.WithInsecure(), grpc.WithDefaultServiceConfig(serviceConfig))
	if err != nil {
		fmt.Println("dial:", err)
		os.Exit(1)
	}
	defer conn.Close()
	client := messengerv1.NewMessengerServiceClient(conn)
	recipient := &messengerv1.Recipient{Identifier: &messengerv1.Recipient_Id{Id: *to}}

	// Always set a deadline: the gateway gives Graph what is left of it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	action, err := client.SendSenderAction(ctx, &messengerv1.SendSenderActionRequest{
		PageId:    *page,
		Recipient: recipient,
		Action:    messengerv1.SenderAction_SENDER_ACTION_TYPING_ON,
	})
	if err != nil {
		printError("SendSenderAction", err)
		os.Exit(1)
	}
	fmt.Printf("SendSenderAction ok: action=TYPING_ON recipient_id=%s\n", action.RecipientId)

	sent, err := client.SendMessage(ctx, &messengerv1.SendMessageRequest{
		PageId:        *page,
		Recipient:     recipient,
		Message:       &messengerv1.Message{Content: &messengerv1.Message_Text{Text: *text}},
		MessagingType: messengerv1.MessagingType_MESSAGING_TYPE_RESPONSE,
	})
	if err != nil {
		printError("SendMessage", err)
		os.Exit(1)
	}
	fmt.Printf("SendMessage ok: recipient_id=%s message_id=%s\n", sent.RecipientId, sent.MessageId)
}

// printError prints the gRPC status and the details the gateway puts in it.
func printError(rpc string, err error) {
	st := status.Convert(err) // the google.rpc.Status from the grpc-status-details-bin trailer
	fmt.Printf("%s failed: %s: %s\n", rpc, codeName(st.Code().String()), st.Message())
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			keys := make([]string, 0, len(d.Metadata))
			for k := range d.Metadata {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var meta []string
			for _, k := range keys {
				meta = append(meta, k+"="+d.Metadata[k])
			}
			fmt.Printf("  ErrorInfo: reason=%s domain=%s %s\n", d.Reason, d.Domain, strings.Join(meta, " "))
		case *messengerv1.GraphError:
			name := messengerv1.GraphErrorCode_name[int32(d.Code)]
			if name == "" {
				name = "?" // a Graph code newer than this client's protos
			}
			fmt.Printf("  GraphError: code=%d (%s) error_subcode=%d type=%s fbtrace_id=%s\n",
				int32(d.Code), name, d.ErrorSubcode, d.Type, d.FbtraceId)
		case *errdetails.RetryInfo:
			fmt.Printf("  RetryInfo: retry after %gs\n", d.RetryDelay.AsDuration().Seconds())
		case *errdetails.BadRequest:
			for _, v := range d.FieldViolations {
				fmt.Printf("  BadRequest: %s: %s\n", v.Field, v.Description)
			}
		case error: // a detail whose type this binary does not know
			fmt.Printf("  (detail not decoded: %v)\n", d)
		}
	}
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
