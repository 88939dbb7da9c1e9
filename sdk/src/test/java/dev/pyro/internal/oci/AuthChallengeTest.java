package dev.pyro.internal.oci;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthChallengeTest {
    @Test
    void dockerHubBearerChallenge() {
        List<AuthChallenge> c = AuthChallenge.parse("Bearer realm=\"https://auth.docker.io/token\","
                + "service=\"registry.docker.io\",scope=\"repository:library/debian:pull\"");
        assertThat(c).containsExactly(new AuthChallenge("bearer", Map.of("realm", "https://auth.docker.io/token",
                "service", "registry.docker.io", "scope", "repository:library/debian:pull")));
        assertThat(c.get(0).isBearer()).isTrue();
    }

    @Test
    void basicChallengeAndCaseOfSchemeAndNames() {
        assertThat(AuthChallenge.parse("Basic realm=\"pyro-test\""))
                .containsExactly(new AuthChallenge("basic", Map.of("realm", "pyro-test")));
        assertThat(AuthChallenge.parse("BASIC Realm=x")).containsExactly(new AuthChallenge("basic", Map.of("realm", "x")));
    }

    @Test
    void quotedValuesKeepCommasSpacesAndEscapedQuotes() {
        List<AuthChallenge> c = AuthChallenge.parse("Bearer realm=\"https://a/t?x=1,2\", scope=\"repository:a:pull,push\","
                + " error=\"insufficient_scope\", note=\"say \\\"hi\\\"\"");
        assertThat(c).hasSize(1);
        assertThat(c.get(0).param("realm")).isEqualTo("https://a/t?x=1,2");
        assertThat(c.get(0).param("scope")).isEqualTo("repository:a:pull,push");
        assertThat(c.get(0).param("error")).isEqualTo("insufficient_scope");
        assertThat(c.get(0).param("note")).isEqualTo("say \"hi\"");
    }

    @Test
    void severalChallengesInOneHeader() {
        List<AuthChallenge> c = AuthChallenge.parse("Basic realm=\"r1\", Bearer realm=\"https://t\",service=\"s\"");
        assertThat(c).extracting(AuthChallenge::scheme).containsExactly("basic", "bearer");
        assertThat(c.get(1).param("service")).isEqualTo("s");
    }

    @Test
    void schemesWithoutParametersAndGarbage() {
        assertThat(AuthChallenge.parse("Negotiate")).containsExactly(new AuthChallenge("negotiate", Map.of()));
        assertThat(AuthChallenge.parse("")).isEmpty();
        assertThat(AuthChallenge.parse(null)).isEmpty();
        assertThat(AuthChallenge.parse("Bearer realm=\"unterminated")).extracting(a -> a.param("realm"))
                .containsExactly("unterminated");
    }
}
