package dev.atrium.common.web;

/** A resource's representation with the {@code ETag} of its version: what a read or a write of it answers. */
public record Versioned<T>(T view, String etag) {
}
