package dev.pyro.cli;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A tiny HTTP server serving one file at {@code /blob}: the "outside world" of the network
 * tests, started inside a network namespace the test creates ({@code ip netns exec}).
 * Arguments: address, port, file. Prints "ready" once it listens.
 */
public final class BlobServerMain {
    private BlobServerMain() {
    }

    public static void main(String[] args) throws Exception {
        byte[] blob = Files.readAllBytes(Path.of(args[2]));
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(args[0]),
                Integer.parseInt(args[1])), 16);
        server.createContext("/blob", exchange -> {
            exchange.sendResponseHeaders(200, blob.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(blob);
            }
        });
        server.start();
        System.out.println("ready");
        System.out.flush();
        // Runs until the test kills it (or its namespace goes away).
        Thread.currentThread().join();
    }
}
