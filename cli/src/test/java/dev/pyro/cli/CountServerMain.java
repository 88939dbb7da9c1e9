package dev.pyro.cli;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Counts the TCP connections accepted on an address and port, writing the count to a file after
 * each: the witness of the network tests that nothing reached a service it must not reach,
 * started inside a namespace the test creates. Arguments: address, port, count file. Prints
 * "ready" once it listens.
 */
public final class CountServerMain {
    private CountServerMain() {
    }

    public static void main(String[] args) throws Exception {
        Path countFile = Path.of(args[2]);
        Files.writeString(countFile, "0");
        try (ServerSocket server = new ServerSocket(Integer.parseInt(args[1]), 50, InetAddress.getByName(args[0]))) {
            System.out.println("ready");
            System.out.flush();
            int count = 0;
            while (true) {
                try (Socket s = server.accept()) {
                    count++;
                    Files.writeString(countFile, Integer.toString(count));
                }
            }
        }
    }
}
