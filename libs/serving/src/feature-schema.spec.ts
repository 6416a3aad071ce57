import { syntheticSchema } from '@debut/evaluation';
import { loadDeploymentSchema } from './feature-schema';

describe('deployment feature schema', () => {
  it('is the shape the synthetic catalogue (demo and tests) is generated in', () => {
    expect(loadDeploymentSchema()).toEqual(syntheticSchema());
  });
});
