package kafkaconn

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/sasl"
	kaws "github.com/twmb/franz-go/pkg/sasl/aws"
)

// MechAWSMSKIAM is Amazon MSK's IAM authentication.
const MechAWSMSKIAM = "AWS_MSK_IAM"

// awsField is the aws block of a SASL entry, as Redpanda Connect names it.
func awsField() *service.ConfigField {
	return service.NewObjectField("aws",
		service.NewStringField("region").Description("The AWS region, for the credential chain and role assumption. The signature's region comes from the broker's host name (`b-1.x.kafka.<region>.amazonaws.com`), as in AWS's own MSK IAM library, else from `AWS_REGION`.").Default(""),
		service.NewStringField("endpoint").Description("An STS endpoint to assume `credentials.role` through, instead of AWS's.").Default(""),
		service.NewObjectField("credentials",
			service.NewStringField("profile").Description("A profile of the shared credentials and config files.").Default(""),
			service.NewStringField("id").Description("A static access key ID; empty uses the standard AWS credential chain (environment, shared files, web identity, ECS and EC2 roles).").Default(""),
			service.NewStringField("secret").Description("The static secret access key.").Default("").Secret(),
			service.NewStringField("token").Description("The static session token, if any.").Default("").Secret(),
			service.NewBoolField("from_ec2_role").Description("Take credentials from the EC2 instance's role (the chain does so anyway when nothing comes before it).").Default(false),
			service.NewStringField("role").Description("A role to assume with the credentials above, through STS.").Default(""),
			service.NewStringField("role_external_id").Description("The external ID the role requires.").Default(""),
		).Description("Where the credentials come from.").Optional(),
	).Description("For `AWS_MSK_IAM`: the AWS region and credentials, as Redpanda Connect names them.").Optional()
}

// awsMechanism is AWS_MSK_IAM with credentials from e's aws block,
// fetched (and refreshed when they expire) as each connection logs in.
func awsMechanism(e *service.ParsedConfig) (sasl.Mechanism, error) {
	provider, err := awsCredentials(e)
	if err != nil {
		return nil, err
	}
	cache := aws.NewCredentialsCache(provider)
	return kaws.ManagedStreamingIAM(func(ctx context.Context) (kaws.Auth, error) {
		c, err := cache.Retrieve(ctx)
		if err != nil {
			return kaws.Auth{}, fmt.Errorf("AWS credentials: %w", err)
		}
		return kaws.Auth{AccessKey: c.AccessKeyID, SecretKey: c.SecretAccessKey, SessionToken: c.SessionToken}, nil
	}), nil
}

// awsCredentials is the provider the aws block describes: static keys, or
// the standard chain (with a profile), then an assumed role.
func awsCredentials(e *service.ParsedConfig) (aws.CredentialsProvider, error) {
	str := func(path ...string) string {
		if !e.Contains(path...) {
			return ""
		}
		s, _ := e.FieldString(path...)
		return s
	}
	region := str("aws", "region")
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(region)}
	if p := str("aws", "credentials", "profile"); p != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(p))
	}
	if id := str("aws", "credentials", "id"); id != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, str("aws", "credentials", "secret"), str("aws", "credentials", "token"))))
	}
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("aws: %w", err)
	}
	role := str("aws", "credentials", "role")
	if role == "" {
		return cfg.Credentials, nil
	}
	client := sts.NewFromConfig(cfg, func(o *sts.Options) {
		if ep := str("aws", "endpoint"); ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	return stscreds.NewAssumeRoleProvider(client, role, func(o *stscreds.AssumeRoleOptions) {
		if ext := str("aws", "credentials", "role_external_id"); ext != "" {
			o.ExternalID = aws.String(ext)
		}
	}), nil
}
