package dev.lookahead4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.Lookahead;
import dev.lookahead4j.optim.Adam;
import dev.lookahead4j.optim.InnerOptimizer;
import dev.lookahead4j.optim.Sgd;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class OptimizerSpecTest {
    @Test
    void parsesNamesAndFields() {
        InnerOptimizer a = OptimizerSpec.parse("adam");
        assertTrue(a instanceof Adam);
        assertEquals(1e-3, a.lr());
        assertEquals("adam(lr=0.001)", OptimizerSpec.label(a));
        InnerOptimizer s = OptimizerSpec.parse("sgd:lr=0.1,momentum=0.9,nesterov=true");
        assertTrue(s instanceof Sgd);
        assertEquals(0.1, s.lr());
        assertEquals("sgd(lr=0.1,momentum=0.9,nesterov=true)", OptimizerSpec.label(s));
        assertEquals(0.01, OptimizerSpec.parse("sgd").lr());
        InnerOptimizer w = OptimizerSpec.parse(" AdamW:lr=3e-4, weight_decay=0.05, betas=0.9/0.98 ");
        assertEquals("adamw", w.typeName());
        assertEquals(0.05, w.weightDecay());
        assertEquals("adamw(lr=0.0003,betas=0.9/0.98,weight_decay=0.05)", OptimizerSpec.label(w));
        assertEquals("lookahead(adam(lr=0.001),k=6,alpha=0.8)",
                RunSpec.lookahead(a, Lookahead.builder().syncPeriod(6).slowStepSize(0.8).build()).label());
        for (String n : OptimizerSpec.NAMES) assertEquals(n, OptimizerSpec.parse(n).typeName());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''                          | expected NAME",
        "adamx                       | unknown optimizer 'adamx'",
        "adam:                       | nothing after ':'",
        "adam:lr                     | 'lr' is not key=value",
        "adam:lr=                    | 'lr=' is not key=value",
        "adam:lr=fast                | lr=fast is not a number",
        "adam:lr=-1                  | Invalid learning rate: -1",
        "adam:momentum=0.9           | momentum: unknown field for adam",
        "adam:lr=1e-3,lr=2e-3        | 'lr' given twice",
        "adam:betas=0.9              | betas must be B1/B2",
        "sgd:lr=0.1,momentum=-0.5    | momentum",
        "adam:type=sgd               | give the type as NAME",
    })
    void rejectsBadSpecsNamingThem(String spec, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OptimizerSpec.parse(spec));
        assertTrue(e.getMessage().startsWith("Invalid --optimizer '" + spec + "'"), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
