package kafkacheck;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The sink of src/live/sink.rs: one line {@code partition offset consumer-C incarnation} per side
 * effect, appended with a single write(2) to a file opened with O_APPEND (FileOutputStream's append
 * mode), so that lines of several processes never interleave and a SIGKILL leaves a line whole or
 * absent.
 */
final class Sink {
    private final FileOutputStream out;
    private final Path path;
    private final int consumer;
    private final long incarnation;

    Sink(Path path, int consumer, long incarnation) throws IOException {
        this.out = new FileOutputStream(path.toFile(), true);
        this.path = path;
        this.consumer = consumer;
        this.incarnation = incarnation;
    }

    synchronized void append(int partition, long offset) throws IOException {
        String line = partition + " " + offset + " consumer-" + consumer + " " + incarnation + "\n";
        out.write(line.getBytes(StandardCharsets.UTF_8));
    }

    /** The external store's committed offset of a partition: one past the highest offset it holds. */
    OptionalLong nextOffset(int partition) throws IOException {
        String text;
        try {
            text = Files.readString(path);
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
        // Only whole lines count: a line without its newline was never written.
        int end = text.lastIndexOf('\n');
        long next = -1;
        for (String line : text.substring(0, Math.max(end, 0)).split("\n")) {
            String[] words = line.split(" ");
            if (words.length < 4) {
                continue;
            }
            try {
                if (Integer.parseInt(words[0]) == partition) {
                    next = Math.max(next, Long.parseLong(words[1]) + 1);
                }
            } catch (NumberFormatException e) {
                // not a sink line
            }
        }
        return next < 0 ? OptionalLong.empty() : OptionalLong.of(next);
    }
}
