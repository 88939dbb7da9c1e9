package dev.pyro.mcp;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * In front of the SDK's streamable HTTP servlet, in this order: refuses a foreign Host or Origin
 * with 403 ({@link OriginPolicy}), a request without the bearer token with 401
 * ({@link BearerToken}), a body over the size limit with 413 (before more than the limit is
 * read); then passes each POSTed message through the {@link MessageTap} (call keys on
 * {@code tools/call}, {@code notifications/cancelled} answered here with 202).
 */
final class LocalRequestFilter implements Filter {
    private static final Logger LOG = LoggerFactory.getLogger(LocalRequestFilter.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final OriginPolicy policy;
    private final BearerToken token;
    private final MessageTap tap;
    private final int maxBodyBytes;

    LocalRequestFilter(OriginPolicy policy, BearerToken token, MessageTap tap, int maxBodyBytes) {
        this.policy = policy;
        this.token = token;
        this.tap = tap;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        Optional<String> refusal = policy.refusal(request.getHeader("Host"), request.getHeader("Origin"));
        if (refusal.isPresent()) {
            LOG.warn("refused {} {}: {}", request.getMethod(), request.getRequestURI(), refusal.get());
            reply(response, HttpServletResponse.SC_FORBIDDEN, "Forbidden: " + refusal.get()
                    + "; pyro mcp serve only accepts clients on this machine (http://127.0.0.1:PORT/mcp)");
            return;
        }
        if (!token.accepts(request.getHeader("Authorization"))) {
            LOG.warn("refused {} {}: no valid bearer token", request.getMethod(), request.getRequestURI());
            response.setHeader("WWW-Authenticate", "Bearer realm=\"pyro mcp\"");
            reply(response, HttpServletResponse.SC_UNAUTHORIZED, "Unauthorized: send the header 'Authorization:"
                    + " Bearer TOKEN' with the token from the file that pyro mcp serve named on its stderr");
            return;
        }
        if (!"POST".equals(request.getMethod())) {
            chain.doFilter(request, response);
            return;
        }
        if (request.getContentLengthLong() > maxBodyBytes) {
            reply(response, HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
                    "message larger than " + maxBodyBytes + " bytes");
            return;
        }
        byte[] body = readBody(request.getInputStream());
        if (body == null) {
            reply(response, HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
                    "message larger than " + maxBodyBytes + " bytes");
            return;
        }
        String session = Optional.ofNullable(request.getHeader("Mcp-Session-Id")).orElse("");
        String text = new String(body, StandardCharsets.UTF_8);
        MessageTap.Outcome outcome = tap.inspect(text, session, false);
        if (outcome instanceof MessageTap.Consumed) {
            response.setStatus(HttpServletResponse.SC_ACCEPTED);
            return;
        }
        byte[] forwarded = outcome instanceof MessageTap.Forward f && f.text() != text
                ? f.text().getBytes(StandardCharsets.UTF_8) : body;
        chain.doFilter(new BodyRequest(request, forwarded), response);
    }

    private byte[] readBody(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[16 * 1024];
        int n;
        while ((n = in.read(buf)) != -1) {
            if (out.size() + n > maxBodyBytes) {
                return null;
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    private static void reply(HttpServletResponse response, int status, String message) throws IOException {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", -32600);
        error.put("message", message);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("jsonrpc", "2.0");
        body.put("id", null);
        body.put("error", error);
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write(JSON.writeValueAsString(body));
    }

    /** The request with its body replaced (already read, possibly rewritten). */
    private static final class BodyRequest extends HttpServletRequestWrapper {
        private final byte[] body;

        BodyRequest(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public int getContentLength() {
            return body.length;
        }

        @Override
        public long getContentLengthLong() {
            return body.length;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }

                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new IllegalStateException("the body is already read; use blocking reads");
                }
            };
        }

        @Override
        public java.io.BufferedReader getReader() {
            String enc = getCharacterEncoding() == null ? "UTF-8" : getCharacterEncoding();
            return new java.io.BufferedReader(new java.io.InputStreamReader(getInputStream(),
                    java.nio.charset.Charset.forName(enc)));
        }
    }
}
