import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Exploration draws without a sort of the whole users table: every user gets a fixed place on a
 * ring, `draw_key` = ring_key(id) (the first 32 bits of md5, as a signed integer), indexed with
 * the id. A release's exploration users are the ones that follow its seed's place on that ring
 * (UserRepository.shuffled): an index range read of the users drawn instead of an md5 of every
 * user and a top-N sort per release. Generated, so every way a user is inserted gets it.
 */
export class UserDrawKey1765700000000 implements MigrationInterface {
  name = 'UserDrawKey1765700000000';

  async up(q: QueryRunner): Promise<void> {
    // One definition of a place on the ring, for users (the column) and seeds (the draw) alike.
    await q.query(
      `CREATE FUNCTION ring_key(s text) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
         AS $$ SELECT ('x' || substr(md5(s), 1, 8))::bit(32)::integer $$`,
    );
    await q.query(`ALTER TABLE users ADD COLUMN draw_key integer GENERATED ALWAYS AS (ring_key(id)) STORED`);
    await q.query(`CREATE INDEX users_draw_key_idx ON users (draw_key, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP COLUMN draw_key`); // its index goes with it
    await q.query(`DROP FUNCTION ring_key(text)`);
  }
}
