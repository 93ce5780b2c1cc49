// Command credcheck is what any Go program does with a profile: the AWS SDK for Go v2
// loads the shared config, runs the profile's credential_process, and signs a request
// with the result (sts:GetCallerIdentity).
//
//	credcheck PROFILE STS_ENDPOINT_URL
//
// An empty PROFILE: the SDK's default chain (environment, shared files, the container
// credentials endpoint, ...).
//
// On success it prints one JSON object: the credentials as the SDK read them and the
// caller identity. On failure it prints the SDK's error on stderr and exits 1.
// Built by the tests in GOPATH mode against Debian's golang-github-aws-aws-sdk-go-v2-dev.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "credcheck: %s: %v\n", what, err)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: credcheck PROFILE STS_ENDPOINT_URL")
		os.Exit(2)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithSharedConfigProfile(os.Args[1]))
	if err != nil {
		fail("loading the shared config", err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		fail("retrieving credentials", err)
	}
	client := sts.NewFromConfig(cfg, func(o *sts.Options) {
		o.EndpointResolver = sts.EndpointResolverFromURL(os.Args[2])
	})
	identity, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil && errors.Is(err, net.ErrClosed) {
		// Go's HTTP transport can close a kept-alive connection under a response it is
		// still reading (aws-sdk-go-v2 issues 1825 and 2737: "deserialization failed ...
		// use of closed network connection"); the SDK does not retry that. A second try
		// on a new connection is what an application would do; the credentials are
		// already in hand, so this retries nothing of the credential_process.
		identity, err = client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	}
	if err != nil {
		fail("calling sts:GetCallerIdentity", err)
	}
	out := map[string]interface{}{
		"AccessKeyId":     creds.AccessKeyID,
		"SecretAccessKey": creds.SecretAccessKey,
		"SessionToken":    creds.SessionToken,
		"Source":          creds.Source,
		"CanExpire":       creds.CanExpire,
		"Expires":         creds.Expires.UTC().Format(time.RFC3339),
		"Account":         aws.ToString(identity.Account),
		"Arn":             aws.ToString(identity.Arn),
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("writing the result", err)
	}
}
