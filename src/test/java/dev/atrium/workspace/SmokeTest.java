package dev.atrium.workspace;

import static org.hamcrest.Matchers.equalTo;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class SmokeTest {

    @Test
    void createAndRead() {
        String alice = Tokens.user(Tokens.unique("alice"));
        var r = Api.as(alice).body(Map.of("name", "Hello")).post("/v1/workspaces");
        System.out.println(r.statusCode() + " " + r.headers() + " " + r.asString());
        var ws = Api.activeWorkspace(alice);
        System.out.println(ws);
        Api.as(alice).get("/v1/workspaces/" + ws.get("id")).then().statusCode(200).body("status", equalTo("active"));
    }
}
