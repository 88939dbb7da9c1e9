package dev.pyro.internal.oci;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One challenge of a {@code WWW-Authenticate} header (RFC 7235), e.g. {@code Bearer
 * realm="https://auth.example/token",service="registry.example",scope="repository:pyro/debian:pull"}.
 *
 * @param scheme lower case: {@code bearer}, {@code basic}, ...
 * @param params parameter names lower case, values unquoted
 */
public record AuthChallenge(String scheme, Map<String, String> params) {
    public AuthChallenge {
        params = Map.copyOf(params);
    }

    public String param(String name) {
        return params.get(name);
    }

    public boolean isBearer() {
        return scheme.equals("bearer");
    }

    public boolean isBasic() {
        return scheme.equals("basic");
    }

    /**
     * Parses every challenge in a header value. Several challenges may share one value
     * ({@code Basic realm="a", Bearer realm="b"}); quoted values may hold commas and escaped
     * quotes. Malformed trailing input is ignored rather than failing the whole header.
     */
    public static List<AuthChallenge> parse(String header) {
        List<AuthChallenge> challenges = new ArrayList<>();
        if (header == null) {
            return challenges;
        }
        Lexer in = new Lexer(header);
        String scheme = in.token();
        while (scheme != null) {
            Map<String, String> params = new LinkedHashMap<>();
            String next = null;
            while (true) {
                in.skipSpaceAndCommas();
                int mark = in.pos;
                String name = in.token();
                if (name == null) {
                    break;
                }
                in.skipSpace();
                if (!in.consume('=')) {
                    // A token not followed by '=' starts the next challenge (or is a token68 we ignore).
                    if (in.peekIsTokenStart() || in.atEnd() || in.peek() == ',') {
                        next = name;
                        break;
                    }
                    in.pos = mark;
                    break;
                }
                in.skipSpace();
                String value = in.peek() == '"' ? in.quoted() : in.token();
                if (value == null) {
                    // token68 such as "abc==": take the rest up to a comma.
                    value = in.until(',');
                }
                params.put(name.toLowerCase(Locale.ROOT), value);
            }
            challenges.add(new AuthChallenge(scheme.toLowerCase(Locale.ROOT), params));
            scheme = next;
            if (scheme == null) {
                in.skipSpaceAndCommas();
                scheme = in.token();
            }
        }
        return challenges;
    }

    /** A minimal RFC 7230 tokenizer. */
    private static final class Lexer {
        private final String s;
        private int pos;

        Lexer(String s) {
            this.s = s;
        }

        boolean atEnd() {
            return pos >= s.length();
        }

        char peek() {
            return atEnd() ? '\0' : s.charAt(pos);
        }

        boolean peekIsTokenStart() {
            return !atEnd() && isTokenChar(s.charAt(pos));
        }

        void skipSpace() {
            while (!atEnd() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
                pos++;
            }
        }

        void skipSpaceAndCommas() {
            while (!atEnd() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t' || s.charAt(pos) == ',')) {
                pos++;
            }
        }

        boolean consume(char c) {
            if (peek() == c && !atEnd()) {
                pos++;
                return true;
            }
            return false;
        }

        String token() {
            skipSpace();
            int start = pos;
            while (!atEnd() && isTokenChar(s.charAt(pos))) {
                pos++;
            }
            return pos > start ? s.substring(start, pos) : null;
        }

        String quoted() {
            StringBuilder b = new StringBuilder();
            pos++; // opening quote
            while (!atEnd()) {
                char c = s.charAt(pos++);
                if (c == '\\' && !atEnd()) {
                    b.append(s.charAt(pos++));
                } else if (c == '"') {
                    return b.toString();
                } else {
                    b.append(c);
                }
            }
            return b.toString();
        }

        String until(char stop) {
            int start = pos;
            while (!atEnd() && s.charAt(pos) != stop) {
                pos++;
            }
            return s.substring(start, pos).strip();
        }

        private static boolean isTokenChar(char c) {
            return c > ' ' && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0;
        }
    }
}
