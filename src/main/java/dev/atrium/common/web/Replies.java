package dev.atrium.common.web;

import com.fasterxml.jackson.databind.ObjectMapper;

import jakarta.enterprise.context.ApplicationScoped;

/** Makes {@link Reply}s of views with the application's mapper (its naming and timestamp rules). */
@ApplicationScoped
public class Replies {

    private final ObjectMapper json;

    public Replies(ObjectMapper json) {
        this.json = json;
    }

    public Reply of(int status, Object view) {
        return Reply.of(status, view == null ? null : json.valueToTree(view));
    }
}
