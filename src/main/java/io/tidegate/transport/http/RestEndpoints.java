package io.tidegate.transport.http;

/** The HTTP API's endpoints: stateless, built once per gateway and shared by every event loop's router. */
public record RestEndpoints(PublishEndpoint publish, TopicEndpoint topics, GroupEndpoint groups, StatsEndpoint stats,
    WebhookEndpoint webhooks) {}
